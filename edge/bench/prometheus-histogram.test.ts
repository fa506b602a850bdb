import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketsBetween, histogramBuckets, histogramQuantile } from './prometheus-histogram.js';

const text = (counts: number[]) => [
  '# HELP h_seconds x', '# TYPE h_seconds histogram',
  ...[0.001, 0.005, '+Inf'].map((le, i) => `h_seconds_bucket{le="${le}",route="/a",status="200"} ${counts[i]}`),
  `h_seconds_bucket{le="0.001",route="/b",status="200"} 99`,
  `h_seconds_sum{route="/a",status="200"} 1`,
].join('\n');

describe('prometheus histogram helpers', () => {
  it('reads one series by its labels and interpolates quantiles inside buckets', () => {
    const b = histogramBuckets(text([50, 100, 100]), 'h_seconds', { route: '/a' });
    expect(b).toEqual([{ le: 0.001, count: 50 }, { le: 0.005, count: 100 }, { le: Infinity, count: 100 }]);
    expect(histogramQuantile(b, 0.5)).toBeCloseTo(0.001);
    expect(histogramQuantile(b, 0.75)).toBeCloseTo(0.003);
    expect(histogramBuckets(text([1, 2, 3]), 'h_seconds', { route: '/c' })).toEqual([]);
  });

  it('takes the difference of two scrapes and reports the top finite bound for the +Inf bucket', () => {
    const before = histogramBuckets(text([10, 10, 10]), 'h_seconds', { route: '/a' });
    const after = histogramBuckets(text([10, 10, 20]), 'h_seconds', { route: '/a' });
    const d = bucketsBetween(before, after);
    expect(d.map((x) => x.count)).toEqual([0, 0, 10]);
    expect(histogramQuantile(d, 0.99)).toBe(0.005);
    expect(histogramQuantile(bucketsBetween(after, after), 0.5)).toBeNaN();
  });

  it('a quantile is monotone in q and stays within the bucket bounds', () => {
    fc.assert(fc.property(fc.array(fc.nat({ max: 50 }), { minLength: 3, maxLength: 3 }), fc.double({ min: 0.01, max: 1, noNaN: true }), (incs, q) => {
      const cum = incs.map((_, i) => incs.slice(0, i + 1).reduce((a, c) => a + c, 0));
      const b = [{ le: 0.001, count: cum[0] }, { le: 0.005, count: cum[1] }, { le: Infinity, count: cum[2] }];
      const v = histogramQuantile(b, q);
      if (cum[2] === 0) return expect(v).toBeNaN();
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(0.005);
      expect(histogramQuantile(b, Math.min(1, q + 0.01))).toBeGreaterThanOrEqual(v);
    }));
  });
});
