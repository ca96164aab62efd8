import { describe, expect, it } from 'vitest';
import { createStderrProgress, estimateRemaining } from '../../src/sweep/progress.js';

describe('sweep progress', () => {
  it('names the shard and each variant device, and divides the ETA by the devices', () => {
    let t = 0;
    const lines: string[] = [];
    const p = createStderrProgress(5, (s) => lines.push(s), { label: 'shard 1/4 (kubernetes)', parallel: 2, now: () => t });
    p.started('fp16', 0);
    p.started('res-96', 1);
    t = 10_000;
    p.variantDone('fp16', 'ok', 'rtf 0.5');
    p.variantStage('res-96', 'run');
    expect(lines[0]).toBe('[0/5 0s eta ?] shard 1/4 (kubernetes) dev 0 fp16: start\n');
    expect(lines[2]).toBe('[1/5 10s eta 20s] shard 1/4 (kubernetes) dev 0 fp16: ok (rtf 0.5)\n');
    expect(lines[3]).toBe('[1/5 10s eta 20s] shard 1/4 (kubernetes) dev 1 res-96: run\n');
    expect(estimateRemaining([10, 20], 4, 2)).toBe(30);
  });
});
