/**
 * `workbench device-peaks [--ep cuda] [--out FILE]`: achievable MatMul throughput (FP32/TF32, FP16), copy
 * bandwidth and per-kernel launch overhead through onnxruntime-node, against the datasheet (JSON + table).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { findDevicePeaks } from '../../core/devices.js';
import { measureDevicePeaks, renderDevicePeaks } from '../../projection/device-peaks.js';
import { out } from '../state.js';
import { optionalNumberFlag } from '../../core/number-flag.js';

interface Flags {
  ep: string;
  out?: string;
  device?: string;
  deviceId: string;
  matmulSize?: string;
  matmulChain?: string;
  copyMib?: string;
  copyChain?: string;
  launchChain?: string;
  runs: string;
  warmup: string;
  fp16: boolean;
  syncLaunch: boolean;
  json?: boolean;
}

export function devicePeaksCommand(): Command {
  return new Command('device-peaks')
    .description('measure achievable MatMul FLOP/s (FP32/TF32, FP16), copy bandwidth and launch overhead with onnxruntime-node; compare with the datasheet')
    .option('--ep <ep>', 'execution provider: cuda or cpu (small sizes, for tests)', 'cuda')
    .option('--out <file>', 'write the JSON here (for `project --peaks`)')
    .option('--device <id>', 'datasheet entry to compare with, instead of the nvidia-smi detection (e.g. h100-sxm)')
    .option('--device-id <n>', 'CUDA device', '0')
    .option('--matmul-size <n>', 'MatMul side n (default 8192 on cuda, 128 on cpu)')
    .option('--matmul-chain <n>', 'products added in the long chain (default 8 cuda, 3 cpu)')
    .option('--copy-mib <n>', 'copy tensor size in MiB (default 1024 cuda, 4 cpu)')
    .option('--copy-chain <n>', 'Adds added in the long copy chain (default 8 cuda, 3 cpu)')
    .option('--launch-chain <n>', 'tiny Adds in the launch chain', '200')
    .option('--runs <n>', 'timed runs per graph (the best counts; the two chains interleave)', '10')
    .option('--warmup <n>', 'warm-up runs per graph', '3')
    .option('--no-fp16', 'skip the FP16 MatMul')
    .option('--no-sync-launch', 'skip the CUDA_LAUNCH_BLOCKING=1 launch measurement (child process)')
    .option('--json', 'print the JSON instead of the table')
    .action(async (f: Flags) => {
      if (f.ep !== 'cpu' && f.ep !== 'cuda') throw new UsageError(`--ep ${f.ep}: cpu or cuda`);
      const peaks = f.device ? findDevicePeaks(f.device) : undefined;
      if (f.device && !peaks) throw new UsageError(`--device ${f.device}: unknown GPU (see src/core/devices.ts)`);
      const copyMib = optionalNumberFlag('--copy-mib', f.copyMib, 'non-negative integer', 'value-expected');
      const opt = <K extends string>(k: K, v: number | undefined): Partial<Record<K, number>> => (v === undefined ? {} : ({ [k]: v } as Record<K, number>));
      const report = await measureDevicePeaks({
        ep: f.ep,
        deviceId: optionalNumberFlag('--device-id', f.deviceId, 'non-negative integer', 'value-expected') ?? 0,
        ...opt('matmulSize', optionalNumberFlag('--matmul-size', f.matmulSize, 'non-negative integer', 'value-expected')),
        ...opt('matmulChain', optionalNumberFlag('--matmul-chain', f.matmulChain, 'non-negative integer', 'value-expected')),
        ...opt('copyBytes', copyMib === undefined ? undefined : copyMib * 1024 ** 2),
        ...opt('copyChain', optionalNumberFlag('--copy-chain', f.copyChain, 'non-negative integer', 'value-expected')),
        ...opt('launchChain', optionalNumberFlag('--launch-chain', f.launchChain, 'non-negative integer', 'value-expected')),
        runs: optionalNumberFlag('--runs', f.runs, 'non-negative integer', 'value-expected') ?? 10,
        warmup: optionalNumberFlag('--warmup', f.warmup, 'non-negative integer', 'value-expected') ?? 3,
        fp16: f.fp16,
        syncLaunch: f.syncLaunch,
        ...(peaks ? { peaks } : {}),
        log: (s) => out.error(`${s}\n`),
      });
      const json = `${JSON.stringify(report, null, 2)}\n`;
      if (f.out) {
        mkdirSync(dirname(f.out), { recursive: true });
        writeFileSync(f.out, json);
      }
      out.write(f.json ? json : renderDevicePeaks(report));
      if (f.out) out.write(`wrote ${f.out}\n`);
    });
}
