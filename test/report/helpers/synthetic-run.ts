/** A synthetic run folder (run.json, frames.rgb, audio.wav) like src/runner writes, for preview/report tests. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeWav } from '../../../src/media/wav.js';

/**
 * `size`² frames of a moving gradient (`shift` perturbs it: a variant), and `seconds` of a 24 kHz tone.
 * Returns the folder.
 */
export function writeSyntheticRun(dir: string, o: { size: number; frames: number; seconds: number; shift?: number }): string {
  mkdirSync(dir, { recursive: true });
  const { size, frames } = o;
  const data = new Uint8Array(size * size * 3 * frames);
  for (let f = 0; f < frames; f++)
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const i = ((f * size + y) * size + x) * 3;
        const r = Math.hypot(x - size / 2, y - size / 2 - f);
        data[i] = (x * 255) / size;
        data[i + 1] = r < size / 4 ? 220 : 40 + (y * 160) / size;
        data[i + 2] = (128 + 60 * Math.sin((x + y + f) / 6) + (o.shift ?? 0) * ((x * 7 + y * 13) % 17)) & 255;
      }
  writeFileSync(join(dir, 'frames.rgb'), data);
  const rate = 24000;
  const samples = new Float32Array(Math.round(o.seconds * rate));
  for (let i = 0; i < samples.length; i++) samples[i] = 0.3 * Math.sin((2 * Math.PI * 220 * i) / rate) + (o.shift ?? 0) * 0.01 * Math.sin(i * 1.3);
  writeWav(join(dir, 'audio.wav'), { sampleRate: rate, samples });
  const run = {
    schemaVersion: 1,
    kind: 'workbench.run',
    video: { fps: 25, frames, width: size, height: size },
    files: { audio: 'audio.wav', frames: 'frames.rgb', motion: 'motion.f32', fingerprints: 'fingerprints.json', pngs: [], mp4: null },
  };
  writeFileSync(join(dir, 'run.json'), JSON.stringify(run));
  return dir;
}
