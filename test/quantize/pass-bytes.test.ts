import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { buildReferenceSet } from '../../src/models/build.js';
import { readModel } from '../../src/onnx/read-model.js';
import type { Model } from '../../src/onnx/types.js';
import { writeModel } from '../../src/onnx/write-model.js';
import { decodeLoopWithReport } from '../../src/quantize/decode-loop.js';
import { diffusionLoopWithReport } from '../../src/quantize/diffusion-loop.js';
import { batchWithReport } from '../../src/quantize/batch.js';
import { renderGraphWithReport } from '../../src/quantize/render-graph.js';
import { composeWithReport } from '../../src/quantize/compose.js';
import { mixedPrecision } from '../../src/quantize/mixed.js';
import { fp16WithReport } from '../../src/quantize/fp16.js';
import { resolutionWithReport } from '../../src/quantize/resolution.js';
import { attentionBlock, chainModel, convNet, gridSampleModel, ifModel } from './models.js';

/**
 * Opt-in check for refactors of the passes (skipped unless PASS_BYTES_OUT or PASS_BYTES_BASE is set): runs
 * fp16, resolution, decode-loop, diffusion-loop, batch, compose/render-graph and mixed on the tiny reference set
 * and the test models and takes a sha256 of each written model + its report (or the error message). Record the
 * hashes before a change, then check the changed code against them:
 *   PASS_BYTES_OUT=/tmp/before.json npx vitest run test/quantize/pass-bytes.test.ts    # ~40 s on 2 cores
 *   PASS_BYTES_BASE=/tmp/before.json npx vitest run test/quantize/pass-bytes.test.ts   # fails on any byte that moved
 */
it.runIf(process.env.PASS_BYTES_OUT || process.env.PASS_BYTES_BASE)(
  'pass bytes',
  async () => {
    const root = mkdtempSync(join(tmpdir(), 'wb-bytes-'));
    const built = buildReferenceSet({ scale: 'tiny', seed: 0, outDir: root });
    const models: [string, () => Model][] = Object.entries(built.manifest.roles).map(([role, r]) => [role, () => readModel(join(root, r?.file ?? '')).model]);
    models.push(['convNet', convNet], ['chain', chainModel], ['attention', attentionBlock], ['grid', gridSampleModel], ['if', ifModel]);
    const out: Record<string, string> = {};
    const dst = join(root, 'out.onnx');
    const hash = (name: string, f: () => { model: Model; report: unknown }): void => {
      try {
        const r = f();
        writeModel(r.model, dst, { externalDataThreshold: 1e12 });
        out[name] = createHash('sha256').update(readFileSync(dst)).update(JSON.stringify(r.report)).digest('hex');
      } catch (e) {
        out[name] = `error: ${(e as Error).message}`;
      }
    };
    for (const [name, load] of models) {
      hash(`${name}/fp16`, () => fp16WithReport(load()));
      hash(`${name}/fp16-io`, () => fp16WithReport(load(), { keepIoTypes: true }));
      hash(`${name}/fp16-io-tail-grid`, () =>
        fp16WithReport(load(), { keepIoTypes: true, keepOutputTail: false, keepGridChain: false, nodeBlockList: ['n1'] }),
      );
      hash(`${name}/fp16-noshape`, () => fp16WithReport(load(), { keepShapeArithmetic: false, removeRedundantCasts: false }));
      hash(`${name}/res8`, () => resolutionWithReport(load(), { size: 8 }));
      hash(`${name}/res-keep`, () => resolutionWithReport(load(), { size: 12, keepInputs: true }));
      hash(`${name}/res-hw`, () => resolutionWithReport(load(), { size: [8, 16] }));
      hash(`${name}/decode-loop`, () => decodeLoopWithReport(load()));
      hash(`${name}/decode-loop-c`, () => decodeLoopWithReport(load(), { candidates: 100 }));
      hash(`${name}/diffusion-loop`, () => diffusionLoopWithReport(load()));
      hash(`${name}/batch2`, () => batchWithReport(load(), { size: 2 }));
      hash(`${name}/batch3`, () => batchWithReport(load(), { size: 3 }));
      hash(`${name}/batch-all`, () => {
        const m = load();
        return batchWithReport(m, { size: 2, inputs: m.graph.inputs.filter((v) => !v.initializer).map((v) => v.name) });
      });
      hash(`${name}/diffusion-loop-10`, () => diffusionLoopWithReport(load(), { steps: 10, eta: 0 }));
    }
    const role = (r: string): Model => readModel(join(root, (built.manifest.roles as Record<string, { file: string }>)[r]?.file ?? '')).model;
    const rg = () => ({ stitch: role('stitch_network'), warp: role('warp_network'), decoder: role('decoder') });
    hash('render', () => renderGraphWithReport(rg()));
    hash('render-fp16', () => renderGraphWithReport({ ...rg(), decoder: fp16WithReport(role('decoder')).model }));
    hash('render-keep', () => {
      const r = rg();
      return composeWithReport([r.stitch, r.warp, r.decoder], {
        keepLinkedOutputs: true,
        links: [
          { from: r.stitch.graph.outputs[0]?.name ?? '', fromModel: 0, to: 'kp_driving', toModel: 1 },
          { from: r.warp.graph.outputs[0]?.name ?? '', fromModel: 1, to: r.decoder.graph.inputs[0]?.name ?? '', toModel: 2 },
        ],
      });
    });
    hash('compose-self', () =>
      composeWithReport([role('decoder'), role('decoder')], {
        links: [{ from: role('decoder').graph.outputs[0]?.name ?? '', fromModel: 0, to: role('decoder').graph.inputs[0]?.name ?? '', toModel: 1 }],
      }),
    );
    for (const [name, load] of [
      ['chain', chainModel],
      ['convNet', convNet],
      ['attention', attentionBlock],
      ['grid', gridSampleModel],
      ['decoder', () => role('decoder')],
    ] as [string, () => Model][]) {
      for (const [tag, o] of [
        ['fp16', { maxError: 1e-3 }],
        ['fp16-tight', { maxError: 1e-6 }],
        ['int8', { target: 'int8' as const, maxError: 1e-2 }],
      ] as const) {
        try {
          const r = await mixedPrecision(load(), o);
          writeModel(r.model, dst, { externalDataThreshold: 1e12 });
          out[`${name}/mixed-${tag}`] = createHash('sha256').update(readFileSync(dst)).update(JSON.stringify(r.report)).digest('hex');
        } catch (e) {
          out[`${name}/mixed-${tag}`] = `error: ${(e as Error).message}`;
        }
      }
    }
    if (process.env.PASS_BYTES_OUT) writeFileSync(process.env.PASS_BYTES_OUT, `${JSON.stringify(out, null, 1)}\n`);
    // Every case ran (a hash or an error message each); against a recorded baseline, each one is unchanged.
    expect(Object.values(out).every((h) => h.length > 0)).toBe(true);
    if (process.env.PASS_BYTES_BASE) expect(out).toEqual(JSON.parse(readFileSync(process.env.PASS_BYTES_BASE, 'utf8')));
  },
  300_000,
);
