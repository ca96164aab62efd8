/**
 * `SerialQueue`: jobs run one after another, in the order they were added, while the caller goes on; the first
 * job that fails stops the ones after it, and its error comes back at the caller's next `throwIfFailed` or
 * `drain`. What `--overlap` (Ditto's chunks behind the TTS) and `renderOverlap` (Ditto's frames behind its
 * stream) both need.
 */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();
  // Boxed: a job may fail with `undefined`.
  private failure: { error: unknown } | undefined;

  /** Queues `job` behind the jobs already queued; it does not run once one of them failed. */
  add(job: () => Promise<void> | void): void {
    this.tail = this.tail
      .then(() => (this.failure ? undefined : job()))
      .catch((error: unknown) => {
        this.failure ??= { error };
      });
  }

  /** Throws the first failure so far, if any. */
  throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  /** Waits for every queued job, then throws the first failure, if any. */
  async drain(): Promise<void> {
    await this.tail;
    this.throwIfFailed();
  }

  /** Settles when every job queued so far has run (never rejects). */
  settled(): Promise<void> {
    return this.tail;
  }
}
