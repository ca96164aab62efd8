/**
 * `workbench render-graph --manifest M -o renderer.onnx [--bake-source IMAGE|synthetic] [--batch N]`:
 * Ditto's stitch + warp + decoder (the manifest's, or --role-file variants) as one renderer graph; with
 * --bake-source, that image's source features are computed with the manifest's extractors (CPU) and baked
 * in; with --batch, N frames per call. Name it as the manifest's `renderer` role or pass it with
 * `run --role-file renderer=…`.
 */
import { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { Role } from '../../models/manifest.js';
import { guardOutputs, modelOutputFiles } from '../../onnx/output-guard.js';
import { writeModel } from '../../onnx/write-model.js';
import { buildRenderer } from '../../runner/build-renderer.js';
import { out } from '../state.js';
import { externalDataThreshold, parseNumberFlag } from '../../core/number-flag.js';

interface RenderGraphFlags {
  manifest: string;
  output: string;
  bakeSource?: string;
  batch?: string;
  roleFile: string[];
  externalData?: string | boolean;
}

export function renderGraphCommand(): Command {
  return new Command('render-graph')
    .description("Ditto's stitch + warp + decoder as one renderer graph (optionally with a baked source, batched)")
    .requiredOption('--manifest <file>', 'pipeline manifest')
    .requiredOption('-o, --output <file>', 'output .onnx model')
    .option('--bake-source <image>', "bake this source image's features (PNG path, or 'synthetic' for the runner's default face)")
    .option('--batch <n>', 'frames per call')
    .option('--role-file <role=file>', 'use this file for a role (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--external-data [bytes]', 'store tensors ≥ bytes (default 1024) in <out>.data')
    .action(async (f: RenderGraphFlags) => {
      const roleFiles: Partial<Record<Role, string>> = {};
      for (const item of f.roleFile) {
        const eq = item.indexOf('=');
        if (eq < 1) throw new UsageError(`--role-file: expected ROLE=FILE, got '${item}'`);
        roleFiles[item.slice(0, eq) as Role] = item.slice(eq + 1);
      }
      const batch = f.batch === undefined ? 1 : parseNumberFlag('--batch', f.batch, 'integer >= 1');
      const threshold = externalDataThreshold(f.externalData);
      const t0 = performance.now();
      // The renderer may not replace the manifest or a role file it reads.
      guardOutputs(modelOutputFiles(f.output), [f.manifest, ...Object.values(roleFiles)]);
      const r = await buildRenderer({ manifest: f.manifest, roleFiles, ...(f.bakeSource !== undefined ? { bakeSource: f.bakeSource } : {}), batch });
      const w = writeModel(r.model, f.output, threshold === undefined ? {} : { externalDataThreshold: threshold });
      const inputs = r.model.graph.inputs.filter((v) => !v.initializer).map((v) => `${v.name}[${(v.tensorType?.shape ?? []).join(',')}]`);
      out.write(
        `render-graph → ${w.path}: inputs ${inputs.join(', ')}; ${r.model.graph.nodes.length} nodes; ${((performance.now() - t0) / 1000).toFixed(2)} s\n`,
      );
    });
}
