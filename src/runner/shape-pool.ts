/**
 * `ShapePool`: several sessions of one role, each kept on the input shapes it ran last. A call goes to the
 * session that last ran its exact input shapes, else to the least recently used one, which then owns them.
 *
 * Why: the CUDA EP prepares each conv for the input shape it sees (cuDNN descriptors, algorithm choice,
 * plans) and does it again whenever a session's input shape changes, even to a shape it ran before. Streaming
 * XTTS re-vocodes all latents every 20 tokens, so every HiFi-GAN call has a new length: ~0.2 s a call on an
 * H200 against ~16 ms at a repeated shape (docs/RESULTS.md §8). With one session per length, the lengths that
 * recur in every utterance (20, 40, 60, 80 tokens) meet a session that is already prepared, and the audio
 * stays exactly what one session gives.
 */
import type { Session } from '../runtime/index.js';

export class ShapePool {
  private readonly owner = new Map<string, number>();
  private readonly lastUse: number[];
  private clock = 0;

  constructor(readonly sessions: readonly Session[]) {
    this.lastUse = sessions.map(() => 0);
  }

  /** The input shapes of a call as one key: names and dims, in name order. */
  static keyOf(feeds: Record<string, { dims: readonly number[] }>): string {
    return Object.keys(feeds)
      .sort()
      .map((n) => `${n}:${(feeds[n] as { dims: readonly number[] }).dims.join('x')}`)
      .join(';');
  }

  /** The session for these feeds (see the file comment); records the use. */
  pick(feeds: Record<string, { dims: readonly number[] }>): Session {
    const key = ShapePool.keyOf(feeds);
    let i = this.owner.get(key);
    if (i === undefined) {
      i = this.leastRecent();
      for (const [k, v] of this.owner) if (v === i) this.owner.delete(k);
      this.owner.set(key, i);
    }
    this.lastUse[i] = ++this.clock;
    return this.sessions[i] as Session;
  }

  /** Which session owns which shape key now (for run.json and tests). */
  routing(): Record<string, number> {
    return Object.fromEntries(this.owner);
  }

  private leastRecent(): number {
    let best = 0;
    for (let i = 1; i < this.lastUse.length; i++) if ((this.lastUse[i] as number) < (this.lastUse[best] as number)) best = i;
    return best;
  }
}
