import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PerUserRateLimiter } from './per-user-rate-limiter.js';

describe('PerUserRateLimiter', () => {
  it('lets a user spend the burst at once, then refills at the sustained rate', () => {
    let now = 0;
    const limiter = new PerUserRateLimiter({ perSecond: 10, burst: 3 }, () => now);
    expect([1, 2, 3, 4].map(() => limiter.take('u'))).toEqual([true, true, true, false]);
    expect(limiter.take('v')).toBe(true);
    now += 100;
    expect([limiter.take('u'), limiter.take('u')]).toEqual([true, false]);
    now += 10_000;
    expect([1, 2, 3, 4].map(() => limiter.take('u'))).toEqual([true, true, true, false]);
  });

  it('never admits more than burst + rate × elapsed for any schedule (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 200 }), (gaps) => {
        let now = 0;
        const limiter = new PerUserRateLimiter({ perSecond: 5, burst: 4 }, () => now);
        let admitted = 0;
        for (const gap of gaps) {
          now += gap;
          if (limiter.take('u')) admitted++;
        }
        expect(admitted).toBeLessThanOrEqual(4 + Math.floor((now / 1000) * 5) + 1e-9);
      }),
    );
  });

  it('keeps at most maxUsers buckets', () => {
    const limiter = new PerUserRateLimiter({ perSecond: 1, burst: 1 }, () => 0, 3);
    for (const u of ['a', 'b', 'c', 'd', 'e']) limiter.take(u);
    expect(limiter.size).toBe(3);
  });

  it('refuses a nonsensical limit', () => {
    expect(() => new PerUserRateLimiter({ perSecond: 0, burst: 1 }, () => 0)).toThrow(RangeError);
  });
});
