interface Waiter {
  seq: number;
  resolve: (ok: boolean) => void;
  timer: NodeJS.Timeout;
}

/**
 * Promises waiting for a sequence number to be reached (read-your-writes on the learner's
 * applied watermark). Each waiter carries its own timeout, so the list cannot outgrow the
 * requests in flight.
 *
 * @example
 * const waiters = new SeqWaiters(() => applied);
 * const ok = await waiters.wait(120, 1000); // true once applied ≥ 120, false after 1 s
 * applied = 120; waiters.release();
 */
export class SeqWaiters {
  private readonly waiters: Waiter[] = [];

  constructor(private readonly current: () => number) {}

  get size(): number {
    return this.waiters.length;
  }

  wait(seq: number, timeoutMs: number): Promise<boolean> {
    if (this.current() >= seq) return Promise.resolve(true);
    return new Promise((resolve) => {
      const w: Waiter = {
        seq, resolve,
        timer: setTimeout(() => {
          const i = this.waiters.indexOf(w);
          if (i >= 0) this.waiters.splice(i, 1);
          resolve(this.current() >= seq);
        }, Math.max(0, timeoutMs)),
      };
      this.waiters.push(w);
    });
  }

  /** Resolves every waiter whose seq has been reached. */
  release(): void {
    const now = this.current();
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i];
      if (now >= w.seq) {
        this.waiters.splice(i, 1);
        clearTimeout(w.timer);
        w.resolve(true);
      }
    }
  }

  /** Resolves everyone now with whether their seq was reached (shutdown). */
  releaseAll(): void {
    const now = this.current();
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.resolve(now >= w.seq);
    }
  }
}
