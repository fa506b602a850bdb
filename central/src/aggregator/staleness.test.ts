import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { judgeStaleness, stalenessWeight } from './staleness.js';

describe('staleness', () => {
  it('an on-time delta counts fully', () => {
    expect(judgeStaleness(0, { maxStaleness: 0, late: 'weight' })).toEqual({ status: 'counted', weight: 1, staleness: 0 });
  });

  it('a delta within maxStaleness counts fully', () => {
    expect(judgeStaleness(2, { maxStaleness: 2, late: 'drop' })).toMatchObject({ status: 'counted', weight: 1 });
  });

  it('a late delta is weighted 1/(1+√s) under the weight policy', () => {
    expect(judgeStaleness(4, { maxStaleness: 0, late: 'weight' })).toEqual({ status: 'late', weight: 1 / 3, staleness: 4 });
  });

  it('a late delta is refused under the drop policy, with the reason', () => {
    const v = judgeStaleness(4, { maxStaleness: 1, late: 'drop' }, { baseVersion: 1, currentVersion: 5 });
    expect(v).toEqual({ status: 'rejected', reason: 'stale: base 1 is 4 versions behind 5', staleness: 4 });
  });

  it('staleness weight is in (0, 1] and never increases with staleness', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 0, max: 1e6 }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const wl = stalenessWeight(lo);
        const wh = stalenessWeight(hi);
        return wl > 0 && wl <= 1 && wh <= wl;
      }),
    );
  });
});
