/**
 * `workbench models build --scale full|tiny [--out DIR] [--seed N] [--force]` builds the reference model set
 * and its manifest; `workbench models list [--manifest M]` prints the roles of a manifest as a table.
 */
import { Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import { buildReferenceSet } from '../../models/build.js';
import { loadManifest } from '../../models/load-manifest.js';
import { ALL_ROLES, type Scale } from '../../models/manifest.js';
import { out } from '../state.js';

const mib = (n: number): string => (n >= 1 << 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`);
const si = (n: number | undefined): string => {
  if (n === undefined) return '-';
  for (const [div, unit] of [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']] as const) if (n >= div) return `${(n / div).toFixed(2)} ${unit}`;
  return String(n);
};

function parseSeed(s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new UsageError(`--seed: '${s}' is not an integer in 0..4294967295`);
  return n;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n') + '\n';
}

export function modelsCommand(): Command {
  const cmd = new Command('models').description('build the reference models, list a manifest');
  cmd
    .command('build')
    .description('build every Ditto and XTTS role with seeded weights and write <out>/manifest.json (skipped when up to date)')
    .addOption(new Option('--scale <scale>', 'full (real widths) or tiny (CPU-sized)').choices(['full', 'tiny']).makeOptionMandatory())
    .option('--out <dir>', 'output folder (default models/reference/<scale>)')
    .option('--seed <n>', 'weight seed', parseSeed, 1)
    .option('--force', 'rebuild even when the manifest is up to date')
    .action((flags: { scale: Scale; out?: string; seed: number; force?: boolean }) => {
      const outDir = flags.out ?? `models/reference/${flags.scale}`;
      const t0 = performance.now();
      const r = buildReferenceSet({
        scale: flags.scale,
        seed: flags.seed,
        outDir,
        force: flags.force ?? false,
        onProgress: (p) => out.error(`  ${p.role.padEnd(21)} ${mib(p.bytes).padStart(11)}  ${p.seconds.toFixed(1)} s\n`),
      });
      if (r.upToDate) out.write(`${r.manifestPath}: up to date (build key ${r.manifest.buildKey ?? '?'})\n`);
      else out.write(`${r.manifestPath}: built ${r.built.length} roles in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    });
  cmd
    .command('list')
    .description('print the roles of a manifest: files, params, MACs per call and call rates')
    .option('--manifest <file>', 'manifest to list', 'models/reference/tiny/manifest.json')
    .option('--no-check', 'do not open the model files (faster; no I/O check)')
    .action((flags: { manifest: string; check: boolean }) => {
      const m = loadManifest(flags.manifest, { requiredRoles: [], checkGraphs: flags.check, checkHashes: false });
      const rows = [['role', 'component', 'calls', 'params', 'MACs/call', 'file']];
      for (const role of ALL_ROLES) {
        const r = m.roles[role];
        if (!r) continue;
        rows.push([role, r.component, r.calls, si(r.params), si(r.macsPerCall), r.file]);
      }
      out.write(`${m.name} (scale ${m.scale}, ${m.source})\n`);
      out.write(table(rows));
    });
  return cmd;
}
