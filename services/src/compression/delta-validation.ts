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
