import { linearSlope, sig4 } from './series-stats.js';

/** Second-half growth below this many MB per minute counts as flat… */
export const FLAT_SLOPE_MB_PER_MIN = 1;
/** …and so does growth the fit puts within this share of the mean RSS over the window (GC sawtooth). */
export const NOISE_SHARE = 0.02;

export interface MemoryVerdict {
  first_mb: number;
  last_mb: number;
  max_mb: number;
  /** least-squares slope of RSS over the second half of the samples (warm-up excluded) */
  second_half_slope_mb_per_min: number;
  /** last / first sample of the second half */
  second_half_last_over_first: number;
  /**
   * the slope below which the process counts as flat: max(FLAT_SLOPE_MB_PER_MIN, 2% of its
   * mean RSS per minute of window) — a short run cannot tell a slower leak from GC noise
   */
  flat_below_mb_per_min: number;
  /**
   * highest RSS of the last third over the lower of the first and middle thirds' highest: a
   * leak raises later peaks above earlier ones, a GC sawtooth (peaks and releases a minute or
   * more apart) does not
   */
  last_third_peak_over_earlier: number;
  flat: boolean;
}

/**
 * Flatness of each process's RSS series: the first half is warm-up (JIT, caches, SQLite
 * page cache filling), so the verdict reads the trend of the second half only. A process
 * is flat when that least-squares slope stays below `flat_below_mb_per_min`: 1 MB/min, or
 * what 2% of its mean RSS spread over the window amounts to when that is more (the noise
 * floor of a short run) — or when the last third's peak stays within 2% of both earlier
 * thirds' peaks: a V8 heap that grows to a plateau, releases and grows back (a sawtooth with a
 * period of minutes, seen on the edges in a 4-minute soak) fits a steep slope over a short
 * second half without any growth in its peaks. With fewer than two samples in the second
 * half it is not judged flat.
 *
 * @example
 * memoryVerdicts([{ t_s: 0, rss_mb: { edge: 80 } }, { t_s: 60, rss_mb: { edge: 81 } }, { t_s: 120, rss_mb: { edge: 81 } }]).edge.flat; // true
 */
export function memoryVerdicts(samples: readonly { t_s: number; rss_mb: Record<string, number | null> }[]): Record<string, MemoryVerdict> {
  const names = new Set(samples.flatMap((s) => Object.keys(s.rss_mb)));
  const out: Record<string, MemoryVerdict> = {};
  const half = samples.length === 0 ? 0 : samples[samples.length - 1].t_s / 2;
  for (const name of names) {
    const series = samples.filter((s) => s.rss_mb[name] != null).map((s) => ({ t: s.t_s, mb: s.rss_mb[name]! }));
    if (series.length === 0) continue;
    const second = series.filter((p) => p.t >= half);
    const slope = linearSlope(second.map((p) => p.t / 60), second.map((p) => p.mb));
    const windowMin = second.length >= 2 ? (second[second.length - 1].t - second[0].t) / 60 : 0;
    const meanMb = second.reduce((s, p) => s + p.mb, 0) / Math.max(1, second.length);
    const threshold = windowMin > 0 ? Math.max(FLAT_SLOPE_MB_PER_MIN, (NOISE_SHARE * meanMb) / windowMin) : FLAT_SLOPE_MB_PER_MIN;
    const end = series[series.length - 1].t;
    const peak = (from: number, to: number) => Math.max(...series.filter((p) => p.t >= from && p.t <= to).map((p) => p.mb));
    const peakRatio = peak((2 * end) / 3, end) / Math.min(peak(0, end / 3), peak(end / 3, (2 * end) / 3));
    out[name] = {
      first_mb: series[0].mb,
      last_mb: series[series.length - 1].mb,
      max_mb: Math.max(...series.map((p) => p.mb)),
      second_half_slope_mb_per_min: sig4(slope),
      second_half_last_over_first: second.length ? sig4(second[second.length - 1].mb / second[0].mb) : NaN,
      flat_below_mb_per_min: sig4(threshold),
      last_third_peak_over_earlier: sig4(peakRatio),
      flat: second.length >= 2 && (slope < threshold || peakRatio <= 1 + NOISE_SHARE),
    };
  }
  return out;
}
