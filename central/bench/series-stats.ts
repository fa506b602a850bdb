import { percentile, round3 } from '@edgerec/edge/bench/percentiles';

export { percentile, round3 };

/** 4 significant digits, for ratios far below 1. */
export const sig4 = (x: number): number => (Number.isFinite(x) ? Number(x.toPrecision(4)) : x);

/** p50/p95 (nearest rank), min and max of a stage's samples, in ms. */
export interface StageSummary {
  p50_ms: number;
  p95_ms: number;
  min_ms: number;
  max_ms: number;
}

/**
 * Summary of one latency stage over the rounds (samples are copied, not reordered).
 *
 * @example
 * summarize([3, 1, 2]); // { p50_ms: 2, p95_ms: 3, min_ms: 1, max_ms: 3 }
 */
export function summarize(samples: readonly number[]): StageSummary {
  const xs = samples.slice();
  return {
    p50_ms: round3(percentile(xs, 0.5)),
    p95_ms: round3(percentile(xs, 0.95)),
    min_ms: round3(Math.min(...xs)),
    max_ms: round3(Math.max(...xs)),
  };
}

/**
 * Least-squares slope of y over x (NaN with fewer than two distinct x).
 *
 * @example
 * linearSlope([0, 1, 2], [1, 3, 5]); // 2
 */
export function linearSlope(xs: readonly number[], ys: readonly number[]): number {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return NaN;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += xs[i];
    sy += ys[i];
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}
