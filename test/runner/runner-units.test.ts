import { describe, expect, test } from 'vitest';
import { createRng } from '../../src/onnx/rng.js';
import { cosineAlphasCumprod, ddimCoefficients, ddimTimePairs } from '../../src/runner/ddim.js';
import { InputError } from '../../src/core/input-error.js';
import { binsToDegrees, motionToKeypoints, MOTION_LAYOUT, rotationMatrix } from '../../src/runner/keypoints.js';
import { hzToMel, logMelSpectrogram, melFilterbank, melToHz, XTTS_MEL } from '../../src/media/mel.js';
import { fuseWindow, planWindows, smoothFrames } from '../../src/runner/motion-sequence.js';
import { decodePng, encodePng } from '../../src/media/png.js';
import { psnr, relativeL2, snr, ssimPlane, ssimRgb, stringifyWithInfinity } from '../../src/runner/quality.js';
import { resample, StreamResampler } from '../../src/media/resample.js';
import { audioTokensForText, sampleToken, topKOrder } from '../../src/runner/sampling.js';
import { BpeTokenizer, FallbackTokenizer } from '../../src/runner/tokenizer.js';
import { StreamChunker } from '../../src/runner/tts-stage.js';
import { decodeWav, encodeWav } from '../../src/media/wav.js';
import { syntheticReferenceVoice } from '../../src/runner/reference-voice.js';
import { syntheticFace } from '../../src/media/image.js';
import { BoundedMemo } from '../../src/core/bounded-memo.js';

describe('resampler', () => {
  const sine = (rate: number, n: number, hz: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * hz * i) / rate));
  test('24 kHz → 16 kHz keeps a 1 kHz sine and the length ratio', () => {
    const x = sine(24000, 24000, 1000);
    const y = resample(x, 24000, 16000);
    expect(y.length).toBe(16000);
    const ref = sine(16000, 16000, 1000);
    let err = 0;
    for (let i = 200; i < 15800; i++) err = Math.max(err, Math.abs((y[i] as number) - (ref[i] as number)));
    expect(err).toBeLessThan(2e-3);
  });
  test('removes content above the new Nyquist and keeps DC', () => {
    const y = resample(sine(24000, 24000, 10000), 24000, 16000);
    let peak = 0;
    for (let i = 200; i < 15800; i++) peak = Math.max(peak, Math.abs(y[i] as number));
    expect(peak).toBeLessThan(1e-3);
    const dc = resample(new Float32Array(4800).fill(0.5), 24000, 16000);
    expect(dc[1600]).toBeCloseTo(0.5, 5);
  });
  test('chunked equals whole (22.05 kHz → 16 kHz)', () => {
    const x = sine(22050, 10000, 440);
    const whole = resample(x, 22050, 16000);
    const s = new StreamResampler(22050, 16000);
    const parts: number[] = [];
    for (let i = 0; i < x.length; i += 777) parts.push(...s.push(x.subarray(i, i + 777)));
    parts.push(...s.flush());
    expect(parts.length).toBe(whole.length);
    expect(Math.max(...parts.map((v, i) => Math.abs(v - (whole[i] as number))))).toBe(0);
  });
});

describe('mel', () => {
  test('Slaney scale: 1 kHz = mel 15, inverse round trip', () => {
    expect(hzToMel(1000)).toBeCloseTo(15, 10);
    expect(hzToMel(500)).toBeCloseTo(7.5, 10);
    for (const hz of [0, 300, 1000, 4000, 8000]) expect(melToHz(hzToMel(hz))).toBeCloseTo(hz, 6);
    const fb = melFilterbank({ sampleRate: 22050, ...XTTS_MEL });
    expect(fb.length).toBe(80);
    expect(fb[0]?.length).toBe(513);
  });
  test('a 1 kHz tone peaks in the mel band around 1 kHz; frames = 1 + n/hop', () => {
    const n = 22050;
    const x = Float32Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * 1000 * i) / 22050));
    const m = logMelSpectrogram(x, { sampleRate: 22050, ...XTTS_MEL });
    expect(m.frames).toBe(1 + Math.floor(n / 256));
    const t = 40;
    let best = 0;
    for (let b = 1; b < 80; b++) if ((m.data[b * m.frames + t] as number) > (m.data[best * m.frames + t] as number)) best = b;
    const mMax = hzToMel(8000);
    const centre = melToHz((mMax * (best + 1)) / 81);
    expect(Math.abs(centre - 1000)).toBeLessThan(80);
  });
});

describe('quality metrics', () => {
  test('PSNR by hand: one pixel off by 10 in 100 → MSE 1 → 48.13 dB; identical → Infinity', () => {
    const a = new Uint8Array(100);
    const b = new Uint8Array(100);
    b[3] = 10;
    expect(psnr(a, b)).toBeCloseTo(10 * Math.log10(255 * 255), 10);
    expect(psnr(a, a)).toBe(Infinity);
  });
  test('SSIM by hand: identical = 1; flat 100 vs flat 110 = (2·100·110 + C1)/(100² + 110² + C1)', () => {
    const w = 16;
    const a = new Float64Array(w * w).fill(100);
    const b = new Float64Array(w * w).fill(110);
    const c1 = (0.01 * 255) ** 2;
    expect(ssimPlane(a, b, w, w)).toBeCloseTo((2 * 100 * 110 + c1) / (100 * 100 + 110 * 110 + c1), 10);
    const rng = createRng(3);
    const img = Uint8Array.from({ length: 32 * 32 * 3 }, () => Math.floor(rng.next() * 256));
    expect(ssimRgb(img, img, 32, 32)).toBeCloseTo(1, 12);
    const noisy = img.map((v) => Math.min(255, v + Math.floor(rng.next() * 40)));
    const s = ssimRgb(img, noisy, 32, 32);
    expect(s).toBeLessThan(1);
    expect(s).toBeGreaterThan(0);
  });
  test('SNR by hand and relative L2; Infinity survives JSON', () => {
    expect(snr([1, 1, 1, 1], [1, 1, 1, 0])).toBeCloseTo(10 * Math.log10(4), 10);
    expect(snr([1, 2], [1, 2])).toBe(Infinity);
    expect(relativeL2([3, 4], [3, 4])).toBe(0);
    expect(relativeL2([3, 4], [3, 5])).toBeCloseTo(0.2, 12);
    expect(JSON.parse(stringifyWithInfinity({ a: Infinity, b: -Infinity, c: 1 }))).toEqual({ a: Infinity, b: -Infinity, c: 1 });
  });
});

describe('DDIM schedule', () => {
  test('cosine ᾱ decreases from ≈1 to ≈0; 50 steps from 999 to −1 by 20', () => {
    const a = cosineAlphasCumprod();
    expect(a.length).toBe(1000);
    expect(a[0]).toBeGreaterThan(0.9999);
    expect(a[999]).toBeLessThan(1e-4);
    for (let t = 1; t < 1000; t++) expect(a[t]).toBeLessThan(a[t - 1] as number);
    const p = ddimTimePairs(50);
    expect(p.length).toBe(50);
    expect(p[0]).toEqual([999, 979]);
    expect(p[49]).toEqual([19, -1]);
    expect(ddimTimePairs(1)).toEqual([[999, -1]]);
    expect(ddimTimePairs(4)).toEqual([
      [999, 749],
      [749, 499],
      [499, 249],
      [249, -1],
    ]);
  });
  test('eta = 1 coefficients: σ² + c² = 1 − ᾱ_next', () => {
    const a = cosineAlphasCumprod();
    const k = ddimCoefficients(a, 499, 249);
    expect(k.sigma * k.sigma + k.c * k.c).toBeCloseTo(1 - (a[249] as number), 12);
    expect(k.sqrtAlphaNext).toBeCloseTo(Math.sqrt(a[249] as number), 12);
    expect(ddimCoefficients(a, 499, 249, 0).sigma).toBe(0);
  });
});

describe('sampling', () => {
  test('seeded, top-k 1 = argmax, repetition penalty moves off a used token', () => {
    const logits = Float32Array.from({ length: 1026 }, (_, i) => Math.sin(i));
    const draw = (seed: number): number[] => {
      const r = createRng(seed);
      const ids: number[] = [];
      for (let i = 0; i < 20; i++) ids.push(sampleToken(logits, ids, r, undefined, 1024));
      return ids;
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    expect(draw(7).every((t) => t < 1024)).toBe(true);
    const peaked = new Float32Array(10);
    peaked[4] = 5;
    peaked[6] = 4;
    const o = { temperature: 0.75, topK: 1, topP: 0.85, repetitionPenalty: 10 };
    expect(sampleToken(peaked, [], createRng(1), o)).toBe(4);
    expect(sampleToken(peaked, [4], createRng(1), o)).toBe(6);
  });
  test('top-k in one pass: the first k of the full sort (value descending, ties by index), ties and all', () => {
    const rng = createRng(3);
    const full = (v: Float64Array): number[] => Array.from({ length: v.length }, (_, i) => i).sort((a, b) => (v[b] as number) - (v[a] as number) || a - b);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(rng.next() * 300);
      // Coarse values make ties common; fine ones make them rare.
      const coarse = trial % 2 === 0;
      const v = Float64Array.from({ length: n }, () => (coarse ? Math.round(rng.normal() * 2) : rng.normal()));
      for (const k of [1, 2, 5, 50, n - 1, n, n + 3]) {
        if (k < 1) continue;
        expect(topKOrder(v, k), `n ${n} k ${k}`).toEqual(full(v).slice(0, k));
      }
    }
  });

  test('tokens follow the text length at 14 chars/s, capped', () => {
    expect(audioTokensForText('x'.repeat(28), 22050 / 1024, 602)).toBe(43);
    expect(audioTokensForText('x'.repeat(5000), 22050 / 1024, 602)).toBe(602);
  });
});

describe('keypoints', () => {
  test('uniform bins = 0°, identity rotation, kp = s·(kp_c + exp) + t', () => {
    expect(binsToDegrees(new Float32Array(66))).toBeCloseTo(0, 12);
    const onehot = new Float32Array(66);
    onehot[40] = 100;
    expect(binsToDegrees(onehot)).toBeCloseTo(40 * 3 - 97.5, 6);
    const R = rotationMatrix(0, 0, 0);
    expect(Array.from(R)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const m = new Float32Array(265);
    m[MOTION_LAYOUT.scale] = 1; // s = 2
    m[MOTION_LAYOUT.t] = 0.5;
    m[MOTION_LAYOUT.t + 1] = -0.5;
    m[MOTION_LAYOUT.t + 2] = 9; // tz is ignored
    m[MOTION_LAYOUT.exp + 2] = 0.25;
    const kpc = Float32Array.from({ length: 63 }, (_, i) => i / 63);
    const kp = motionToKeypoints(m, kpc);
    expect(kp[0]).toBeCloseTo(2 * (0 / 63) + 0.5, 6);
    expect(kp[1]).toBeCloseTo(2 * (1 / 63) - 0.5, 6);
    expect(kp[2]).toBeCloseTo(2 * (2 / 63 + 0.25), 6);
  });
  test('yaw 90°: R = Ry(90)ᵀ maps row [1,0,0] to [0,0,−1]', () => {
    const R = rotationMatrix(0, 90, 0);
    const v = [0, 1, 2].map((j) => 1 * (R[j] as number));
    expect(v[0]).toBeCloseTo(0, 12);
    expect(v[1]).toBeCloseTo(0, 12);
    expect(v[2]).toBeCloseTo(-1, 12);
  });
});

describe('motion windows', () => {
  test('plan, crossfade and smoothing', () => {
    expect(planWindows(57, 80, 10).starts).toEqual([0]);
    expect(planWindows(141, 80, 10).starts).toEqual([0, 70, 140]);
    const dim = 2;
    const seq = new Float32Array(160 * dim);
    fuseWindow(seq, new Float32Array(80 * dim).fill(1), 0, dim, 10, true);
    fuseWindow(seq, new Float32Array(80 * dim).fill(3), 70, dim, 10, false);
    expect(seq[69 * dim]).toBe(1);
    expect(seq[70 * dim]).toBeCloseTo(1 + 2 / 11, 6);
    expect(seq[79 * dim]).toBeCloseTo(1 + (2 * 10) / 11, 6);
    expect(seq[80 * dim]).toBe(3);
    const s = smoothFrames(Float32Array.from([0, 5, 3, 5, 6, 5]), 3, 2, 1, 3);
    expect(Array.from(s)).toEqual([1, 5, 3, 5, 5, 5]);
  });
});

describe('text', () => {
  test('BPE merges in rank order with [SPACE]', () => {
    const t = BpeTokenizer.fromJson({
      model: { vocab: { '[SPACE]': 2, h: 10, e: 11, l: 12, o: 13, he: 14, ll: 15, hell: 16 }, merges: ['h e', 'l l', 'he ll'] },
    });
    expect(t.encode('Hello  HE')).toEqual([16, 13, 2, 14]);
    expect(() => BpeTokenizer.fromJson({}, 'v.json')).toThrow(InputError);
  });
  test('fallback tokenizer is deterministic and inside the vocabulary', () => {
    const t = new FallbackTokenizer(6681);
    const ids = t.encode('Hello world, this is a test.');
    expect(ids).toEqual(t.encode('hello   WORLD, this is a test.'));
    expect(ids.every((i) => i >= 2 && i < 6681 && i !== 261)).toBe(true);
    expect(ids.length).toBeGreaterThan(10);
  });
  test('stream chunker emits the whole waveform once', () => {
    const c = new StreamChunker(4);
    const w1 = Float32Array.from({ length: 20 }, (_, i) => i);
    const w2 = Float32Array.from({ length: 40 }, (_, i) => i);
    const a = c.next(w1, false);
    const b = c.next(w2, true);
    expect(a.length + b.length).toBe(40);
    expect(Array.from(b.subarray(4))).toEqual(Array.from(w2.subarray(20)));
  });
});

describe('WAV and PNG', () => {
  test('WAV round trip within one LSB; non-RIFF rejected with the file named', () => {
    const s = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i / 10) * 0.9);
    const back = decodeWav(encodeWav({ sampleRate: 24000, samples: s }));
    expect(back.sampleRate).toBe(24000);
    for (let i = 0; i < s.length; i++) expect(Math.abs((back.samples[i] as number) - (s[i] as number))).toBeLessThan(1 / 32000);
    expect(() => decodeWav(new TextEncoder().encode('not a wave file at all'), 'x.wav')).toThrow(/x\.wav: header: not a RIFF\/WAVE/);
  });
  test('PNG round trip is exact; garbage rejected', () => {
    const rng = createRng(5);
    const img = { width: 13, height: 7, data: Uint8Array.from({ length: 13 * 7 * 3 }, () => Math.floor(rng.next() * 256)) };
    const back = decodePng(encodePng(img));
    expect(back.width).toBe(13);
    expect(Array.from(back.data)).toEqual(Array.from(img.data));
    expect(() => decodePng(new Uint8Array(20), 'f.png')).toThrow(/f\.png: signature: not a PNG/);
  });
});

describe('synthetic inputs made once per process', () => {
  test('the voice and the face: equal each call, a fresh copy each call', () => {
    const a = syntheticReferenceVoice(22050, 1, 3);
    const b = syntheticReferenceVoice(22050, 1, 3);
    expect(b.samples).toEqual(a.samples);
    expect(b.samples).not.toBe(a.samples);
    a.samples[0] = 42; // a caller's write does not reach the next caller
    expect(syntheticReferenceVoice(22050, 1, 3).samples[0]).toBe(b.samples[0]);
    expect(syntheticReferenceVoice(22050, 1, 4).samples).not.toEqual(b.samples);
    const f = syntheticFace(32);
    f.data.fill(0);
    expect(syntheticFace(32).data.some((v) => v !== 0)).toBe(true);
  });

  test('BoundedMemo: made once per key, emptied whole at its limit', () => {
    const memo = new BoundedMemo<number>(2);
    let made = 0;
    const make = (): number => ++made;
    expect([memo.get('a', make), memo.get('a', make), memo.get('b', make)]).toEqual([1, 1, 2]);
    expect(memo.get('c', make)).toBe(3); // the third key empties it first
    expect(memo.get('a', make)).toBe(4);
  });
});
