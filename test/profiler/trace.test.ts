import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TraceFormatError } from '../../src/errors.js';
import { parseTrace, readTrace, type ParsedTrace } from '../../src/profiler/trace.js';
import { createSession } from '../../src/runtime/index.js';
import { ev, nodeEv, tempDir, writeConvModel } from './helpers.js';

describe('parseTrace on a real ORT 1.29 trace (CPU EP)', () => {
  let dir: string;
  let trace: ParsedTrace;
  let file: string | undefined;
  beforeAll(async () => {
    dir = tempDir('trace');
    const model = writeConvModel(dir, 16);
    const s = await createSession(model, {
      ep: 'cpu',
      enableProfiling: true,
      profileFilePrefix: join(dir, 'p'),
      graphOptimizationLevel: 'disabled',
      intraOpThreads: 1,
    });
    const x = { type: 'float32' as const, dims: [1, 16, 16, 16], data: new Float32Array(16 * 16 * 16).fill(0.5) };
    for (let i = 0; i < 4; i++) await s.run({ x });
    file = s.endProfiling();
    await s.release();
    trace = readTrace(file as string);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the file ORT wrote (endProfiling returns nothing in onnxruntime-node)', () => {
    expect(file).toMatch(/p_\d{4}-\d{2}-\d{2}_.*\.json$/);
  });

  it('has one model_run per run() and every node execution inside one', () => {
    expect(trace.runs).toHaveLength(4);
    expect(trace.indexFormat).toBe('node_index');
    // 3 Conv + 3 Relu + Transpose + Cast per run (optimizations disabled).
    expect(trace.nodes).toHaveLength(4 * 8);
    expect(trace.nodes.every((n) => n.run >= 0 && n.run < 4)).toBe(true);
    for (let r = 0; r < 4; r++) expect(trace.nodes.filter((n) => n.run === r)).toHaveLength(8);
  });

  it('reads op, provider, index, sizes, shapes and memory fields', () => {
    const conv = trace.nodes.find((n) => n.name === 'conv0');
    expect(conv).toBeDefined();
    expect(conv?.opType).toBe('Conv');
    expect(conv?.provider).toBe('CPUExecutionProvider');
    expect(conv?.nodeIndex).toBe(0);
    expect(conv?.inputShapes).toEqual([
      { type: 'float', dims: [1, 16, 16, 16] },
      { type: 'float', dims: [16, 16, 3, 3] },
    ]);
    expect(conv?.outputShapes).toEqual([{ type: 'float', dims: [1, 16, 16, 16] }]);
    expect(conv?.parameterBytes).toBe(16 * 16 * 9 * 4);
    expect(conv?.activationBytes).toBe(16 * 16 * 16 * 4);
    expect(conv?.outputBytes).toBe(16 * 16 * 16 * 4);
    expect(conv?.mem.mem_in_use_peak).toBeGreaterThan(0);
    const cast = trace.nodes.find((n) => n.opType === 'Cast');
    expect(cast?.outputShapes[0]?.type).toBe('float16');
    expect(trace.nodes.every((n) => n.provider === 'CPUExecutionProvider')).toBe(true);
    expect(trace.hasKernelEvents).toBe(false);
    expect(trace.sessionInitUs).toBeGreaterThan(0);
  });
});

describe('parseTrace on a hand-written older-format trace', () => {
  // Older builds: exec_plan_index/graph_index, fence events, shapes as strings, events out of time order,
  // and CUPTI Kernel events right after their node record.
  const events = [
    ev('Session', 'model_loading_uri', 0, 100),
    ev('Session', 'session_initialization', 100, 900),
    ev('Node', 'MatMul_0_fence_before', 1010, 0, { op_name: 'MatMul' }),
    {
      ...nodeEv('MatMul_0', 'MatMul', 'CUDAExecutionProvider', 1010, 40, {
        exec_plan_index: '0',
        graph_index: '3',
        input_type_shape: '[{"float":[1,64]},{"float":[64,64]}]',
        output_type_shape: '[{"float":[1,64]}]',
      }),
    },
    ev('Kernel', 'ampere_sgemm_32x32_sliced1x4_nn', 1015, 12, {
      stream: '7',
      grid_x: '2',
      grid_y: '1',
      grid_z: '1',
      block_x: '128',
      block_y: '1',
      block_z: '1',
      op_name: 'MatMul',
    }),
    ev('Kernel', 'splitKreduce_kernel', 1030, 3, {
      stream: '7',
      grid_x: '1',
      grid_y: '1',
      grid_z: '1',
      block_x: '32',
      block_y: '1',
      block_z: '1',
      op_name: 'MatMul',
    }),
    ev('Node', 'MatMul_0_fence_after', 1050, 0, { op_name: 'MatMul' }),
    nodeEv('relu', 'Relu', 'CUDAExecutionProvider', 1060, 10, { exec_plan_index: '1', graph_index: '4' }),
    ev('Kernel', 'elementwise_kernel', 1062, 2, { op_name: 'Relu' }),
    ev('Session', 'SequentialExecutor::Execute', 1005, 70),
    ev('Session', 'model_run', 1000, 80),
  ];
  const t = parseTrace(JSON.stringify(events), 'old.json');

  it('uses graph_index as the node index and keeps both', () => {
    expect(t.indexFormat).toBe('exec_plan_index');
    expect(t.nodes.map((n) => [n.name, n.nodeIndex, n.execPlanIndex, n.graphIndex])).toEqual([
      ['MatMul_0', 3, 0, 3],
      ['relu', 4, 1, 4],
    ]);
  });

  it('parses shapes given as JSON strings and ignores fences', () => {
    expect(t.nodes[0]?.inputShapes).toEqual([
      { type: 'float', dims: [1, 64] },
      { type: 'float', dims: [64, 64] },
    ]);
    expect(t.nodes).toHaveLength(2);
  });

  it('attaches Kernel events to the node record they follow', () => {
    expect(t.hasKernelEvents).toBe(true);
    expect(t.nodes[0]?.kernels.map((k) => k.dur)).toEqual([12, 3]);
    expect(t.nodes[0]?.kernels[0]?.grid).toEqual([2, 1, 1]);
    expect(t.nodes[1]?.kernels).toHaveLength(1);
  });

  it('assigns nodes to the model_run that contains them although it is written after them', () => {
    expect(t.runs).toEqual([{ index: 0, ts: 1000, dur: 80, executeDur: 70 }]);
    expect(t.nodes.every((n) => n.run === 0)).toBe(true);
    expect(t.loadUs).toBe(100);
  });
});

describe('parseTrace errors', () => {
  it('names the file and field', () => {
    expect(() => parseTrace('{"a":1}', 'x.json')).toThrow(TraceFormatError);
    expect(() => parseTrace('{"a":1}', 'x.json')).toThrow(/x\.json: root/);
    expect(() => parseTrace(JSON.stringify([ev('Node', 'n_kernel_time', 0, 1, {})]), 'y.json')).toThrow(
      /y\.json: event\[0\] \('n_kernel_time'\)\.args\.op_name: missing/,
    );
    expect(() => parseTrace('not json', 'z.json')).toThrow(/z\.json: json/);
  });

  it('recovers a trace cut before its closing bracket', () => {
    const text = JSON.stringify([ev('Session', 'model_run', 0, 10), nodeEv('a', 'Add', 'CPUExecutionProvider', 1, 5)]).slice(0, -1);
    const dir = tempDir('cut');
    const f = join(dir, 'cut.json');
    writeFileSync(f, text);
    expect(readTrace(f).nodes).toHaveLength(1);
    rmSync(dir, { recursive: true, force: true });
  });
});
