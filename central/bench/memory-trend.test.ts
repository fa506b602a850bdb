import { describe, expect, it } from 'vitest';
import { FLAT_SLOPE_MB_PER_MIN, memoryVerdicts } from './memory-trend.js';
import { linearSlope, summarize } from './series-stats.js';

const series = (mb: (t: number) => number, n = 9, stepS = 15) =>
  Array.from({ length: n }, (_, i) => ({ t_s: i * stepS, rss_mb: { edge: mb(i * stepS) } }));

describe('memory trend', () => {
  it('judges a plateau after warm-up flat, even though the first half grew', () => {
    const v = memoryVerdicts(series((t) => (t < 60 ? 80 + t : 140)));
    expect(v.edge.flat).toBe(true);
    expect(v.edge.second_half_slope_mb_per_min).toBe(0);
    expect(v.edge.first_mb).toBe(80);
    expect(v.edge.max_mb).toBe(140);
  });

  it('judges steady growth in the second half not flat and reports its slope per minute', () => {
    const v = memoryVerdicts(series((t) => 100 + (t / 60) * 3, 41)); // 10 min: the 1 MB/min floor applies
    expect(v.edge.flat).toBe(false);
    expect(v.edge.second_half_slope_mb_per_min).toBeCloseTo(3, 6);
    expect(v.edge.flat_below_mb_per_min).toBe(FLAT_SLOPE_MB_PER_MIN);
    expect(v.edge.second_half_last_over_first).toBeGreaterThan(1);
  });

  it('raises the bar to the noise floor of a short window: 2% of the mean RSS over it', () => {
    // 1 minute of second half at ~200 MB: 4 MB/min of fitted growth is within GC noise, 5 is not
    const short = (slope: number) => memoryVerdicts(series((t) => 200 + (t / 60) * slope, 5, 30)).edge;
    expect(short(3).flat_below_mb_per_min).toBeGreaterThan(4);
    expect(short(3).flat).toBe(true);
    expect(short(6).flat).toBe(false);
  });

  it('skips missing samples of a process that is gone and does not judge a single point flat', () => {
    const v = memoryVerdicts([{ t_s: 0, rss_mb: { a: 50, b: null } }, { t_s: 10, rss_mb: { a: null, b: 60 } }]);
    expect(v.a.flat).toBe(false);
    expect(v.b.last_mb).toBe(60);
  });

  it('fits least-squares slopes and summarizes stages by nearest rank', () => {
    expect(linearSlope([0, 1, 2, 3], [1, 3, 5, 7])).toBe(2);
    expect(linearSlope([1, 1], [2, 3])).toBeNaN();
    expect(summarize([5, 1, 3, 2, 4])).toEqual({ p50_ms: 3, p95_ms: 5, min_ms: 1, max_ms: 5 });
  });
});
