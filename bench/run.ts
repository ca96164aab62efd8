/**
 * `npm run bench [name...]`: runs the benchmarks and writes one JSON file each under bench/results/.
 * Speed and memory targets live here, never in unit tests.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchFp16Convert, fp16ConvertChild } from './fp16-convert.js';
import { benchInt8Convert } from './int8-convert.js';
import { benchIo, ioChild } from './io.js';
import { benchModelsBuild, modelsBuildChild } from './models-build.js';
import { benchSpawnStall } from './spawn-stall.js';

type Bench = () => Promise<unknown> | unknown;

const self = process.argv[1] ?? '';
const args = process.argv.slice(2);

if (args[0] === '--io-child') {
  const [file, out, layout] = args.slice(1);
  process.stdout.write(`${JSON.stringify(ioChild(file ?? '', out ?? '', layout === 'external'))}\n`);
  process.exit(0);
}

if (args[0] === '--build-child') {
  const [scale, dir] = args.slice(1);
  process.stdout.write(`${JSON.stringify(modelsBuildChild(scale === 'tiny' ? 'tiny' : 'full', dir ?? ''))}\n`);
  process.exit(0);
}

if (args[0] === '--fp16-child') {
  const [input, output] = args.slice(1);
  process.stdout.write(`${JSON.stringify(await fp16ConvertChild(input ?? '', output ?? ''))}\n`);
  process.exit(0);
}

const BENCHES: Record<string, Bench> = {
  io: () => benchIo(self),
  'profiler-overhead': async () => (await import('./profiler-overhead.js')).benchProfilerOverhead(),
  'models-build': () => benchModelsBuild(self),
  'fp16-convert': () => benchFp16Convert(self),
  'int8-convert': () => benchInt8Convert(),
  'spawn-stall': () => benchSpawnStall(),
  'native-call': async () => (await import('./native-call.js')).benchNativeCall(),
};

const wanted = args.length ? args : Object.keys(BENCHES);
mkdirSync('bench/results', { recursive: true });
let failed = false;
for (const name of wanted) {
  const fn = BENCHES[name];
  if (!fn) {
    process.stderr.write(`unknown benchmark '${name}'. Should be one of: ${Object.keys(BENCHES).join(', ')}\n`);
    process.exit(2);
  }
  process.stderr.write(`bench ${name} ...\n`);
  const t0 = performance.now();
  try {
    const result = await fn();
    const file = join('bench/results', `${name}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    process.stderr.write(`bench ${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s → ${file}\n`);
  } catch (e) {
    failed = true;
    process.stderr.write(`bench ${name} failed: ${(e as Error).message}\n`);
  }
}
process.exit(failed ? 1 : 0);
