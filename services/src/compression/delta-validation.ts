import { DomainError } from '@edgerec/proto-schemas';
import type { SparseDelta } from '../model/weights.js';

/**
 * Structural checks of a {@link SparseDelta}: array lengths agree with `rows` and `dim` (and
 * the model's adapter length when given), row ids are unique (and below `numItems` when
 * given), values are finite (and within ±`maxAbs` when given).
 * Throws `DomainError(code, 400)` with the first problem found.
 *
 * @example
 * validateDelta(delta, { numItems: weights.numItems });
 */
export function validateDelta(
  d: SparseDelta,
  opts: { numItems?: number; adapterLength?: number; code?: string; checkFinite?: boolean; maxAbs?: number } = {},
): void {
  const code = opts.code ?? 'bad_delta';
  const fail = (msg: string): never => {
    throw new DomainError(code, 400, msg);
  };
  if (!Number.isInteger(d.dim) || d.dim < 1) fail(`bad dim ${d.dim}`);
  if (!(d.rows instanceof Uint32Array)) fail('rows must be a Uint32Array');
  const n = d.rows.length;
  if (!(d.emb instanceof Float32Array) || d.emb.length !== n * d.dim) fail(`emb must hold ${n}×${d.dim} floats`);
  if (!(d.bias instanceof Float32Array) || d.bias.length !== n) fail(`bias must hold ${n} floats`);
  if (!(d.rowCounts instanceof Uint32Array) || d.rowCounts.length !== n) fail(`rowCounts must hold ${n} counts`);
  if (d.adapter !== null) {
    if (!(d.adapter instanceof Float32Array)) fail('adapter must be null or a Float32Array');
    if (opts.adapterLength !== undefined && d.adapter.length !== opts.adapterLength) {
      fail(`adapter holds ${d.adapter.length} values, model has ${opts.adapterLength}`);
    }
  }
  if (!(Number.isFinite(d.samples) && d.samples >= 0)) fail(`bad samples ${d.samples}`);
  if (!(Number.isFinite(d.adapterCount) && d.adapterCount >= 0)) fail(`bad adapterCount ${d.adapterCount}`);
  // Ascending rows (the common case, and every decoded delta) can't hold duplicates.
  let ascending = true;
  for (let j = 0; j < n; j++) {
    const r = d.rows[j];
    if (opts.numItems !== undefined && r >= opts.numItems) fail(`row ${r} out of range (numItems ${opts.numItems})`);
    if (j > 0 && r <= d.rows[j - 1]) ascending = false;
  }
  if (!ascending && new Set(d.rows).size !== n) fail('duplicate row ids');
  if (opts.checkFinite === false) return;
  // Finite is not enough: 3e38 passes and turns the aggregate's scores into NaN downstream.
  const maxAbs = opts.maxAbs ?? Infinity;
  for (const [name, a] of [['emb', d.emb], ['bias', d.bias], ['adapter', d.adapter]] as const) {
    if (!a) continue;
    for (let i = 0; i < a.length; i++) {
      if (!Number.isFinite(a[i])) fail(`${name}: non-finite value at ${i}`);
      if (Math.abs(a[i]) > maxAbs) fail(`${name}: |value| ${a[i]} at ${i} exceeds ${maxAbs}`);
    }
  }
}

/** What a delta's claimed counts may be, given how training produces them. */
export interface CountBounds {
  /**
   * Most row updates one training sample makes — in RecommenderModel.learnOne the positive,
   * each sampled negative and each history row: 1 + negatives + historyLen (with historyGrad).
   */
  rowsPerSample: number;
  /** most samples one delta may claim (default: no ceiling) */
  maxSamples?: number;
}

/**
 * Checks that the claimed counts are ones training can have produced: `samples` an integer
 * ≤ `maxSamples`; every row count an integer ≥ 1 and ≤ max(1, samples × rowsPerSample); the
 * counts together Σ(rowCount − 1) ≤ samples × rowsPerSample (every sample updates at most
 * rowsPerSample rows; the −1 leaves room for rows that only the edge's error-feedback residual
 * carries, which go out with count 1 even from a delta of 0 samples); the adapter count
 * ≤ max(1, samples) (one adapter step per sample). Throws `DomainError(code, 400)`.
 *
 * @example
 * validateDeltaCounts(delta, { rowsPerSample: 1 + 4 + 20, maxSamples: 10_000_000 });
 */
export function validateDeltaCounts(d: SparseDelta, b: CountBounds, code = 'bad_counts'): void {
  const fail = (msg: string): never => {
    throw new DomainError(code, 400, msg);
  };
  const { samples } = d;
  if (!Number.isSafeInteger(samples) || samples < 0) fail(`samples ${samples} is not a count`);
  if (b.maxSamples !== undefined && samples > b.maxSamples) fail(`samples ${samples} exceed the ceiling ${b.maxSamples}`);
  const budget = samples * b.rowsPerSample;
  const perRow = Math.max(1, budget);
  let extra = 0;
  for (let j = 0; j < d.rowCounts.length; j++) {
    const c = d.rowCounts[j];
    if (!Number.isInteger(c) || c < 1) fail(`row ${d.rows[j]}: count ${c} < 1`);
    if (c > perRow) fail(`row ${d.rows[j]}: count ${c} > ${perRow} (${samples} samples × ${b.rowsPerSample} rows per sample)`);
    extra += c - 1;
  }
  if (extra > budget) fail(`row counts sum to ${extra + d.rowCounts.length}, more than ${samples} samples × ${b.rowsPerSample} rows per sample allow`);
  const ac = d.adapterCount;
  if (d.adapter !== null && (!Number.isInteger(ac) || ac > Math.max(1, samples))) fail(`adapterCount ${ac} exceeds ${samples} samples`);
}

/** The same delta with rows ascending (returns the input when already sorted). */
export function sortedByRow(d: SparseDelta): SparseDelta {
  let sorted = true;
  for (let j = 1; j < d.rows.length && sorted; j++) sorted = d.rows[j - 1] < d.rows[j];
  if (sorted) return d;
  const n = d.rows.length;
  const order = Array.from({ length: n }, (_, j) => j).sort((a, b) => d.rows[a] - d.rows[b]);
  const rows = new Uint32Array(n);
  const emb = new Float32Array(n * d.dim);
  const bias = new Float32Array(n);
  const rowCounts = new Uint32Array(n);
  order.forEach((src, dst) => {
    rows[dst] = d.rows[src];
    bias[dst] = d.bias[src];
    rowCounts[dst] = d.rowCounts[src];
    emb.set(d.emb.subarray(src * d.dim, (src + 1) * d.dim), dst * d.dim);
  });
  return { ...d, rows, emb, bias, rowCounts };
}
