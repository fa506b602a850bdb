import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RankingMetrics, hitRate, ndcgAt, rankAmong } from './metrics.js';

describe('ranking metric helpers', () => {
  it('compute HR and NDCG of a single positive by hand', () => {
    expect(ndcgAt(0, 10)).toBe(1);
    expect(ndcgAt(2, 10)).toBe(0.5);
    expect(ndcgAt(1, 10)).toBeCloseTo(1 / Math.log2(3), 12);
    expect(ndcgAt(10, 10)).toBe(0);
    expect(hitRate(9, 10)).toBe(1);
    expect(hitRate(10, 10)).toBe(0);
  });

  it('rankAmong counts strictly higher scores and ties against the positive', () => {
    expect(rankAmong([0.9, 0.5, 0.9, 0.1], 1)).toBe(2);
    expect(rankAmong([0.2, 0.5, 0.1], 1)).toBe(0);
    expect(rankAmong([1, 1, 1, 1], 0)).toBe(3);
    expect(rankAmong(Float32Array.of(3, 1, 2), 1)).toBe(2);
  });

  it('rankAmong treats NaN as a loss for the positive and skips excluded candidates', () => {
    expect(rankAmong([NaN, 0.5, 0.1], 1)).toBe(1);
    expect(rankAmong([0.3, NaN, 0.1], 1)).toBe(2);
    expect(rankAmong([0.9, 0.5, 0.8, 0.1], 1, Uint8Array.of(1, 0, 0, 0))).toBe(1);
    expect(rankAmong([0.9, 0.5], 1, Uint8Array.of(0, 1))).toBe(1);
  });
});

describe('RankingMetrics', () => {
  it('averages HR@k and NDCG@k over updates', () => {
    const m = new RankingMetrics(10).update(0).update(2).update(50);
    const g = m.get();
    expect(g.count).toBe(3);
    expect(g.hr).toBeCloseTo(2 / 3, 12);
    expect(g.ndcg).toBeCloseTo(1.5 / 3, 12);
    expect(new RankingMetrics(1).update(1).get()).toEqual({ hr: 0, ndcg: 0, count: 1 });
    expect(new RankingMetrics().get()).toEqual({ hr: 0, ndcg: 0, count: 0 });
  });

  it('merge equals updating with the union of the cases', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(30)), fc.array(fc.nat(30)), fc.integer({ min: 1, max: 20 }), (a, b, k) => {
        const left = new RankingMetrics(k);
        a.forEach((r) => left.update(r));
        const right = new RankingMetrics(k);
        b.forEach((r) => right.update(r));
        const union = new RankingMetrics(k);
        [...a, ...b].forEach((r) => union.update(r));
        const merged = left.merge(right).get();
        expect(merged.count).toBe(union.get().count);
        expect(merged.hr).toBeCloseTo(union.get().hr, 12);
        expect(merged.ndcg).toBeCloseTo(union.get().ndcg, 12);
      }),
    );
  });

  it('round-trips through its state and refuses to merge a different k', () => {
    const m = new RankingMetrics(5).update(1).update(7);
    expect(RankingMetrics.fromState(m.state()).get()).toEqual(m.get());
    expect(() => m.merge(new RankingMetrics(10))).toThrow(/cannot merge/);
    expect(() => new RankingMetrics(0)).toThrow(/positive integer/);
  });
});
