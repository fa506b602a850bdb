/** Nearest-rank percentile of `t` (sorts it in place). */
export function percentileOf(t: Float64Array, q: number): number {
  t.sort();
  return t[Math.min(t.length - 1, Math.max(0, Math.ceil(q * t.length) - 1))];
}

export const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;

export interface Latency {
  p50_ms: number;
  p99_ms: number;
  queries: number;
}

/**
 * Times `run(0..n-1)` one call at a time and reports p50/p99 in ms.
 *
 * @example
 * timeQueries(1000, (q) => scorer.topK(queries[q % 256], 10));
 */
export function timeQueries(n: number, run: (q: number) => void): Latency {
  const t = new Float64Array(n);
  for (let q = 0; q < n; q++) {
    const s = performance.now();
    run(q);
    t[q] = performance.now() - s;
  }
  return { p50_ms: round4(percentileOf(t, 0.5)), p99_ms: round4(percentileOf(t, 0.99)), queries: n };
}
