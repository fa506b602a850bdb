/**
 * Runs tasks one at a time in submission order. Round state changes, delta admission
 * and aggregation all go through one queue, so a delta can never be counted into a
 * round that is being closed.
 *
 * @example
 * const q = new SerialQueue();
 * const n = await q.run(async () => 42);
 * await q.idle();
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => T | Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    // The chain continues whatever this task did; its caller sees the failure.
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once everything submitted so far has finished. */
  async idle(): Promise<void> {
    let seen: Promise<unknown>;
    do {
      seen = this.tail;
      await seen;
    } while (seen !== this.tail);
  }
}
