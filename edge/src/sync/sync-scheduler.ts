/**
 * Clock and timers of the sync client as one injectable seam (the same shape as central's
 * Scheduler), so intervals, resend backoff and refetch delays run on real time in a node and
 * on a hand-advanced clock in tests and the in-process federated evaluation.
 */
export interface Scheduler {
  now(): number;
  /** Calls `fn` once after `ms`; returns a function that cancels it. */
  setTimer(ms: number, fn: () => void): () => void;
}

/**
 * Wall clock and unref'd node timers: a pending resend must not keep a stopping process alive.
 *
 * @example
 * const cancel = systemScheduler.setTimer(1000, () => console.log('tick'));
 */
export const systemScheduler: Scheduler = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, Math.min(Math.max(0, ms), 2 ** 31 - 1));
    t.unref();
    return () => clearTimeout(t);
  },
};

/**
 * A scheduler whose clock only moves when told to; `advance(ms)` fires due timers in time order.
 *
 * @example
 * const s = new ManualScheduler();
 * s.setTimer(500, () => fired++);
 * s.advance(1000); // fired === 1
 */
export class ManualScheduler implements Scheduler {
  private timers: { at: number; seq: number; fn: () => void }[] = [];
  private seq = 0;

  constructor(private current = 1_700_000_000_000) {}

  now(): number {
    return this.current;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const timer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  advance(ms: number): void {
    const until = this.current + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.current = Math.max(this.current, due.at);
      due.fn();
    }
    this.current = until;
  }
}
