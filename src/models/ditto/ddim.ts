/**
 * DDIM sampling for the LMDM as Ditto runs it: a 1000-step cosine schedule (Nichol & Dhariwal 2021,
 * s = 0.008, β clipped at 0.999), `steps` sampling times from linspace(−1, 999, steps + 1) truncated toward
 * zero and reversed, eta = 1, the network called once per step (guidance is inside the graph), the update
 * x ← √ᾱ_next·x0 + √(1 − ᾱ_next − σ²)·ε + σ·z with pre-drawn seeded noise z.
 */
import type { Rng } from '../../onnx/rng.js';

export const DIFFUSION_TIMESTEPS = 1000;

/** ᾱ_t for t = 0..T−1 of the cosine schedule. */
export function cosineAlphasCumprod(T = DIFFUSION_TIMESTEPS, s = 0.008): Float64Array {
  const f = (t: number): number => Math.cos(((t / T + s) / (1 + s)) * (Math.PI / 2)) ** 2;
  const out = new Float64Array(T);
  let prod = 1;
  for (let t = 0; t < T; t++) {
    const beta = Math.min(1 - f(t + 1) / f(t), 0.999);
    prod *= 1 - beta;
    out[t] = prod;
  }
  return out;
}

/** (time, timeNext) pairs; the last pair's timeNext is −1 (take x0). */
export function ddimTimePairs(steps: number, T = DIFFUSION_TIMESTEPS): [number, number][] {
  const times: number[] = [];
  for (let i = 0; i <= steps; i++) times.push(Math.trunc(-1 + ((T - 1 + 1) * i) / steps));
  times.reverse();
  const pairs: [number, number][] = [];
  for (let i = 0; i < steps; i++) pairs.push([times[i] as number, times[i + 1] as number]);
  return pairs;
}

export interface DdimCoefficients {
  sqrtAlphaNext: number;
  c: number;
  sigma: number;
}

export function ddimCoefficients(alphas: Float64Array, time: number, timeNext: number, eta = 1): DdimCoefficients {
  const a = alphas[time] as number;
  const an = alphas[timeNext] as number;
  const sigma = eta * Math.sqrt(((1 - a / an) * (1 - an)) / (1 - a));
  return { sqrtAlphaNext: Math.sqrt(an), c: Math.sqrt(Math.max(0, 1 - an - sigma * sigma)), sigma };
}

/** x ← √ᾱ_next·x0 + c·ε + σ·z, in place on x. */
export function ddimUpdate(x: Float32Array, x0: ArrayLike<number>, eps: ArrayLike<number>, z: ArrayLike<number>, k: DdimCoefficients): void {
  for (let i = 0; i < x.length; i++) x[i] = k.sqrtAlphaNext * (x0[i] as number) + k.c * (eps[i] as number) + k.sigma * (z[i] as number);
}

/** The noise a window uses: the initial x and one draw per step but the last, from its own seeded stream. */
export function drawWindowNoise(rng: Rng, steps: number, size: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (let i = 0; i < steps; i++) {
    const z = new Float32Array(size);
    rng.fillNormal(z);
    out.push(z);
  }
  return out;
}
