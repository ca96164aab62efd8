/** `--shard i/n`: a sweep runs only the variants whose index % n == i, so n machines split one sweep. */
import { UsageError } from '../errors.js';

export interface Shard {
  index: number;
  count: number;
  /** Where `--shard auto` read it ('kubernetes', 'gitlab', ...); absent for an explicit i/n. */
  engine?: string;
}

/** Parses 'i/n' (0 <= i < n). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new UsageError(`--shard: expected i/n (e.g. 0/2), got '${text}'`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index >= count) throw new UsageError(`--shard: expected 0 <= i < n, got '${text}'`);
  return { index, count };
}

/** Whether the variant at `index` belongs to `shard` (every variant when there is no shard). */
export function inShard(index: number, shard: Shard | undefined): boolean {
  return !shard || index % shard.count === shard.index;
}
