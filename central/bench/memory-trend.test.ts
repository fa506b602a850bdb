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

  it('judges a GC sawtooth flat (peaks not rising) but a leak under a sawtooth not', () => {
    // 4 min sampled every 5 s, like the soak: the heap grows to a plateau, is released at 105 s, grows back
    const sawtooth = (t: number) => (t < 105 ? 170 + Math.min(t, 100) * 0.35 : 150 + Math.min(t - 105, 50) * 0.6);
    const saw = memoryVerdicts(series(sawtooth, 49, 5)).edge;
    expect(saw.second_half_slope_mb_per_min).toBeGreaterThan(saw.flat_below_mb_per_min); // the slope alone would call it a leak
    expect(saw.last_third_peak_over_earlier).toBeLessThanOrEqual(1.02);
    expect(saw.flat).toBe(true);
    const leak = memoryVerdicts(series((t) => sawtooth(t) + (t / 60) * 12, 49, 5)).edge; // + 12 MB/min underneath
    expect(leak.last_third_peak_over_earlier).toBeGreaterThan(1.02);
    expect(leak.flat).toBe(false);
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
