/**
 * A deterministic stand-in reference voice: a 3 s glottal-like harmonic tone (f0 ≈ 120 Hz with 5 Hz vibrato
 * and slow pitch drift, 1/k harmonics shaped by three vowel-like formants), syllable-rate amplitude
 * modulation and seeded breath noise.
 */
import { createRng } from '../onnx/rng.js';
import type { Audio } from '../media/wav.js';
import { BoundedMemo } from '../core/bounded-memo.js';

/** Voices made so far, by rate, length and seed (every TTS run without --ref-voice makes one). */
const voices = new BoundedMemo<Float32Array>(4);

/** The voice as samples; a fresh copy each call (the caller may write to it). */
export function syntheticReferenceVoice(sampleRate = 22050, seconds = 3, seed = 0): Audio {
  return { sampleRate, samples: voices.get(`${sampleRate}/${seconds}/${seed}`, () => makeVoice(sampleRate, seconds, seed)).slice() };
}

function makeVoice(sampleRate: number, seconds: number, seed: number): Float32Array {
  const n = Math.round(sampleRate * seconds);
  const out = new Float32Array(n);
  const rng = createRng(seed ^ 0x5eed);
  const formants = [
    [700, 130],
    [1220, 70],
    [2600, 160],
  ] as const;
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const t = i / sampleRate;
    const f0 = 120 * (1 + 0.03 * Math.sin(2 * Math.PI * 5 * t) + 0.08 * Math.sin(2 * Math.PI * 0.4 * t));
    phase += (2 * Math.PI * f0) / sampleRate;
    let v = 0;
    for (let k = 1; k * f0 < Math.min(5000, sampleRate / 2); k++) {
      const fk = k * f0;
      let gain = 0;
      for (const [fc, bw] of formants) gain += 1 / (1 + ((fk - fc) / bw) ** 2);
      v += ((0.3 + gain) / k) * Math.sin(k * phase);
    }
    const envelope = 0.55 + 0.45 * Math.sin(2 * Math.PI * 4 * t) ** 2;
    out[i] = 0.25 * envelope * v + 0.01 * rng.normal();
  }
  let peak = 0;
  for (const v of out) peak = Math.max(peak, Math.abs(v));
  for (let i = 0; i < n; i++) out[i] = ((out[i] as number) / peak) * 0.7;
  return out;
}
