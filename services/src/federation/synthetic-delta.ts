import type { SparseDelta } from '../model/weights.js';
import { gaussian } from '../common/seeded-rng.js';

export interface SyntheticDeltaOptions {
  numItems: number;
  dim: number;
  /** how many distinct rows the delta touches */
  rows: number;
  /** std of embedding/bias entries (default 0.01) */
  std?: number;
  /** length of the adapter delta (the model's `adapter.length`); 0 = adapter not touched (default) */
  adapterLength?: number;
  /** row counts are uniform in 1..maxCount (default 5) */
  maxCount?: number;
}

/**
 * A random sparse delta with Gaussian entries on `rows` distinct, ascending rows — for tests,
 * benchmarks and simulations.
 *
 * @example
 * const d = syntheticDelta(mulberry32(1), { numItems: 1000, dim: 32, rows: 100 });
 */
export function syntheticDelta(rng: () => number, o: SyntheticDeltaOptions): SparseDelta {
  const { numItems, dim } = o;
  const std = o.std ?? 0.01;
  const maxCount = o.maxCount ?? 5;
  const normal = gaussian(rng);
  const rows = sampleSortedRows(rng, numItems, Math.min(o.rows, numItems));
  const n = rows.length;
  const emb = new Float32Array(n * dim);
  for (let i = 0; i < emb.length; i++) emb[i] = normal() * std;
  const bias = new Float32Array(n);
  for (let j = 0; j < n; j++) bias[j] = normal() * std;
  const rowCounts = new Uint32Array(n);
  for (let j = 0; j < n; j++) rowCounts[j] = 1 + Math.floor(rng() * maxCount);
  let adapter: Float32Array | null = null;
  const adapterLength = o.adapterLength ?? 0;
  if (adapterLength > 0) {
    adapter = new Float32Array(adapterLength);
    for (let i = 0; i < adapter.length; i++) adapter[i] = normal() * std;
  }
  let samples = 0;
  for (let j = 0; j < n; j++) samples += rowCounts[j];
  return { dim, rows, emb, bias, rowCounts, adapter, adapterCount: adapter ? samples : 0, samples };
}

/** Selection sampling (Knuth's Algorithm S): k of n ids, ascending, each subset equally likely. */
export function sampleSortedRows(rng: () => number, n: number, k: number): Uint32Array {
  const out = new Uint32Array(k);
  let chosen = 0;
  for (let i = 0; i < n && chosen < k; i++) {
    if (rng() * (n - i) < k - chosen) out[chosen++] = i;
  }
  return out;
}
