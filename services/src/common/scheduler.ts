/**
 * Clock and timers as one injectable seam, so rounds, deadlines and chunk TTLs run on
 * real time in production and on a hand-advanced clock in tests (no sleeps).
 */
export interface Scheduler {
  now(): number;
  /** Calls `fn` once after `ms`; returns a function that cancels it. */
  setTimer(ms: number, fn: () => void): () => void;
}

/**
 * Wall clock and node timers. Timers are unref'd: a pending round deadline must not
 * keep a process alive that is otherwise done.
 *
 * @example
 * const cancel = systemScheduler.setTimer(1000, () => console.log('tick'));
 */
export const systemScheduler: Scheduler = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    // setTimeout's limit is 2^31−1 ms; longer waits are re-armed from the callback's owner.
    const t = setTimeout(fn, Math.min(Math.max(0, ms), 2 ** 31 - 1));
    t.unref();
    return () => clearTimeout(t);
  },
};

interface ManualTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A scheduler whose clock only moves when told to. `advance(ms)` fires the due timers in
 * time order (ties in creation order), moving `now()` to each timer's instant first.
 *
 * @example
 * const s = new ManualScheduler(1_700_000_000_000);
 * s.setTimer(500, () => fired.push(s.now()));
 * s.advance(1000); // fired = [1_700_000_000_500]
 */
export class ManualScheduler implements Scheduler {
  private timers: ManualTimer[] = [];
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

  /** Pending timers (for assertions). */
  get pending(): number {
    return this.timers.length;
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
