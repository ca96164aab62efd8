/**
 * A small memo of a pure function's results by key, emptied whole when it reaches `limit` entries (a handful of
 * keys recur within a process: the synthetic voice and face that every run without --ref-voice / --image makes).
 */
export class BoundedMemo<T> {
  private readonly made = new Map<string, T>();
  constructor(private readonly limit: number) {}

  /** The value for `key`, made by `make` the first time (and again after the memo emptied). */
  get(key: string, make: () => T): T {
    let v = this.made.get(key);
    if (v === undefined) {
      v = make();
      if (this.made.size >= this.limit) this.made.clear();
      this.made.set(key, v);
    }
    return v;
  }
}
