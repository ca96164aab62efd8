/**
 * `workbench models build --scale full|tiny [--out DIR] [--seed N] [--force]` builds the reference model set
 * and its manifest; `workbench models list [--manifest M]` prints the roles of a manifest as a table;
 * `workbench models variant --manifest M --precision '*=fp16,warp_network=fp32' --out DIR` writes one
 * variant's models and manifest (the sweep's variant syntax) for profiling or running it on its own.
 */
import { Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import { buildReferenceSet } from '../../models/build.js';
import { loadManifest } from '../../models/load-manifest.js';
import { ALL_ROLES, type Scale } from '../../models/manifest.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { guardOutputs } from '../../onnx/output-guard.js';
import { buildVariantManifest } from '../../sweep/pipeline-driver.js';
import { expandVariants, parseSweepSpec } from '../../sweep/spec.js';
import type { VariantSpec } from '../../sweep/types.js';
import { out } from '../state.js';
import { parseNumberFlag } from '../../core/number-flag.js';

const mib = (n: number): string => (n >= 1 << 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`);
const si = (n: number | undefined): string => {
  if (n === undefined) return '-';
  for (const [div, unit] of [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ] as const)
    if (n >= div) return `${(n / div).toFixed(2)} ${unit}`;
  return String(n);
};

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => c.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

export function modelsCommand(): Command {
  const cmd = new Command('models').description('build the reference models, list a manifest');
  cmd
    .command('build')
    .description('build every Ditto and XTTS role with seeded weights and write <out>/manifest.json (skipped when up to date)')
    .addOption(new Option('--scale <scale>', 'full (real widths) or tiny (CPU-sized)').choices(['full', 'tiny']).makeOptionMandatory())
    .option('--out <dir>', 'output folder (default models/reference/<scale>)')
    .option('--seed <n>', 'weight seed', (s: string) => parseNumberFlag('--seed', s, 'integer in 0..4294967295', 'is-not'), 1)
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
  cmd
    .command('variant')
    .description("write one variant of a manifest (rewritten role models + manifest.json), in the sweep's variant syntax")
    .option('--manifest <file>', 'base manifest', 'models/reference/tiny/manifest.json')
    .option('--precision <list>', "ROLE=PRECISION pairs, comma-separated; ROLE may be '*' (e.g. '*=fp16,warp_network=fp32')")
    .option('--variant <json>', 'a variant object as in a sweep spec (JSON text or a .json file)')
    .option('--ep <ep>', 'execution provider the variant is for (int8 format)', 'cuda')
    .option('--out <dir>', 'output folder (models are cached there by content hash)', 'models/variants')
    .action(async (flags: { manifest: string; precision?: string; variant?: string; ep: string; out: string }) => {
      const v = variantFromFlags(flags);
      if (flags.ep !== 'cpu' && flags.ep !== 'cuda') throw new UsageError(`--ep: expected cpu or cuda, got '${flags.ep}'`);
      const planned = expandVariants(parseSweepSpec({ schemaVersion: 1, name: 'variant', variants: [v] }, '--variant')).find((p) => !p.baseline);
      if (!planned) throw new UsageError('the variant changes nothing (it equals the FP32 baseline)');
      // The output guard: the variant's manifest may not land on the base manifest.
      guardOutputs([{ path: join(flags.out, 'manifests', planned.id, 'manifest.json'), what: "the variant's manifest" }], [flags.manifest]);
      const t0 = performance.now();
      const path = await buildVariantManifest(flags.manifest, planned, flags.out, flags.ep);
      out.write(`${path}: variant '${planned.name}' (${Object.keys(planned.passes).join(', ')}) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    });
  return cmd;
}

function variantFromFlags(flags: { precision?: string; variant?: string }): VariantSpec {
  if ((flags.precision === undefined) === (flags.variant === undefined)) throw new UsageError('give one of --precision or --variant');
  if (flags.variant !== undefined) {
    const text = flags.variant.trim().startsWith('{') ? flags.variant : existsSync(flags.variant) ? readFileSync(flags.variant, 'utf8') : undefined;
    if (text === undefined) throw new UsageError(`--variant: '${flags.variant}' is neither JSON nor a readable file`);
    try {
      return JSON.parse(text) as VariantSpec;
    } catch (e) {
      throw new UsageError(`--variant: not valid JSON (${(e as Error).message})`);
    }
  }
  const precision: Record<string, string> = {};
  for (const item of (flags.precision ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const eq = item.indexOf('=');
    if (eq < 1) throw new UsageError(`--precision: expected ROLE=PRECISION, got '${item}'`);
    precision[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return { precision } as VariantSpec;
}
