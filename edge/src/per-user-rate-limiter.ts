/** Token-bucket settings: sustained events per second and the burst a user may spend at once. */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Per-user token buckets: each user may send `burst` events at once and `perSecond` on
 * average. The map is bounded (least recently used user dropped first); a dropped user
 * simply starts with a full bucket again, which only errs on the side of accepting.
 *
 * @example
 * const limiter = new PerUserRateLimiter({ perSecond: 20, burst: 40 }, () => Date.now());
 * if (!limiter.take('u1')) reject('rate_limited');
 */
export class PerUserRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    readonly limit: RateLimit,
    private readonly clock: () => number,
    private readonly maxUsers = 100_000,
  ) {
    if (!(limit.perSecond > 0) || !(limit.burst >= 1)) throw new RangeError('rate limit needs perSecond > 0 and burst ≥ 1');
  }

  /** Takes one token for `user`; false when the bucket is empty. */
  take(user: string): boolean {
    const now = this.clock();
    let b = this.buckets.get(user);
    if (b) {
      this.buckets.delete(user);
      b.tokens = Math.min(this.limit.burst, b.tokens + (Math.max(0, now - b.at) / 1000) * this.limit.perSecond);
      b.at = now;
    } else {
      b = { tokens: this.limit.burst, at: now };
      if (this.buckets.size >= this.maxUsers) this.buckets.delete(this.buckets.keys().next().value!);
    }
    this.buckets.set(user, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  get size(): number {
    return this.buckets.size;
  }
}
