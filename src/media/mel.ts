/**
 * Log-mel spectrograms as XTTS computes its reference-audio mel (torch.stft, centre reflect padding, Hann
 * window, power 2, Slaney mel scale and area normalisation, log with a 1e-5 clamp). The runner uses
 * n_fft = win = 1024, hop 256, 80 mels, 0–8000 Hz at 22.05 kHz for conditioning, and the same transform
 * for the log-mel distance between two runs' audio.
 */
import { fft } from './fft.js';

export interface MelOptions {
  sampleRate: number;
  nFft: number;
  hop: number;
  win: number;
  nMels: number;
  fMin: number;
  fMax: number;
}

export const XTTS_MEL: Omit<MelOptions, 'sampleRate'> = { nFft: 1024, hop: 256, win: 1024, nMels: 80, fMin: 0, fMax: 8000 };

/** Slaney mel scale (librosa htk=False). */
export function hzToMel(hz: number): number {
  const fSp = 200 / 3;
  const minLogHz = 1000;
  const minLogMel = minLogHz / fSp;
  const logstep = Math.log(6.4) / 27;
  return hz >= minLogHz ? minLogMel + Math.log(hz / minLogHz) / logstep : hz / fSp;
}

export function melToHz(mel: number): number {
  const fSp = 200 / 3;
  const minLogHz = 1000;
  const minLogMel = minLogHz / fSp;
  const logstep = Math.log(6.4) / 27;
  return mel >= minLogMel ? minLogHz * Math.exp(logstep * (mel - minLogMel)) : fSp * mel;
}

/** librosa.filters.mel(norm='slaney'): [nMels][nFft/2+1]. */
export function melFilterbank(o: MelOptions): Float64Array[] {
  const bins = o.nFft / 2 + 1;
  const fftFreqs = Array.from({ length: bins }, (_, i) => (i * o.sampleRate) / o.nFft);
  const mMin = hzToMel(o.fMin);
  const mMax = hzToMel(o.fMax);
  const pts = Array.from({ length: o.nMels + 2 }, (_, i) => melToHz(mMin + ((mMax - mMin) * i) / (o.nMels + 1)));
  const fb: Float64Array[] = [];
  for (let m = 0; m < o.nMels; m++) {
    const lo = pts[m] as number;
    const c = pts[m + 1] as number;
    const hi = pts[m + 2] as number;
    const row = new Float64Array(bins);
    const enorm = 2 / (hi - lo);
    for (let k = 0; k < bins; k++) {
      const f = fftFreqs[k] as number;
      const v = Math.max(0, Math.min((f - lo) / (c - lo), (hi - f) / (hi - c)));
      row[k] = v * enorm;
    }
    fb.push(row);
  }
  return fb;
}

/** Power spectrogram frames [frames][nFft/2+1] (centre = true, reflect padding, periodic Hann window). */
export function powerSpectrogram(x: Float32Array, o: Pick<MelOptions, 'nFft' | 'hop' | 'win'>): Float64Array[] {
  const { nFft, hop, win } = o;
  const pad = nFft / 2;
  const n = x.length;
  const at = (i: number): number => {
    // reflect padding (numpy 'reflect'); falls back to zero for very short signals
    let j = i - pad;
    if (n < 2) return j === 0 ? (x[0] ?? 0) : 0;
    while (j < 0 || j >= n) j = j < 0 ? -j : 2 * (n - 1) - j;
    return x[j] ?? 0;
  };
  const frames = 1 + Math.floor(n / hop);
  const window = new Float64Array(nFft);
  const off = Math.floor((nFft - win) / 2);
  for (let i = 0; i < win; i++) window[off + i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / win);
  const out: Float64Array[] = [];
  const re = new Float64Array(nFft);
  const im = new Float64Array(nFft);
  for (let f = 0; f < frames; f++) {
    for (let i = 0; i < nFft; i++) {
      re[i] = at(f * hop + i) * (window[i] as number);
      im[i] = 0;
    }
    fft(re, im);
    const p = new Float64Array(nFft / 2 + 1);
    for (let k = 0; k <= nFft / 2; k++) p[k] = (re[k] as number) ** 2 + (im[k] as number) ** 2;
    out.push(p);
  }
  return out;
}

/** Mel power spectrogram [nMels × frames] row-major (mel-major, like [80, T]). */
export function melSpectrogram(x: Float32Array, o: MelOptions): { data: Float32Array; frames: number } {
  const spec = powerSpectrogram(x, o);
  const fb = melFilterbank(o);
  const frames = spec.length;
  const data = new Float32Array(o.nMels * frames);
  for (let m = 0; m < o.nMels; m++) {
    const row = fb[m] as Float64Array;
    for (let t = 0; t < frames; t++) {
      const s = spec[t] as Float64Array;
      let acc = 0;
      for (let k = 0; k < row.length; k++) acc += (row[k] as number) * (s[k] as number);
      data[m * frames + t] = acc;
    }
  }
  return { data, frames };
}

/** log(clamp(mel, 1e-5)), as XTTS's reference mel (before mel_stats normalisation, which the reference set lacks). */
export function logMelSpectrogram(x: Float32Array, o: MelOptions): { data: Float32Array; frames: number } {
  const m = melSpectrogram(x, o);
  for (let i = 0; i < m.data.length; i++) m.data[i] = Math.log(Math.max(m.data[i] as number, 1e-5));
  return m;
}
