/**
 * Nearest-rank percentile of `samples` (sorted in place). Benches report p50/p99 with it.
 *
 * @example
 * percentile([3, 1, 2], 0.5); // 2
 */
export function percentile(samples: number[] | Float64Array, q: number): number {
  if (samples.length === 0) return NaN;
  samples.sort((a, b) => a - b);
  const rank = Math.min(samples.length - 1, Math.max(0, Math.ceil(q * samples.length) - 1));
  return samples[rank];
}

/** Rounds to 3 decimals for JSON output. */
export const round3 = (x: number): number => Math.round(x * 1000) / 1000;
