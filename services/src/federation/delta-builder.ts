import type { SparseDelta } from '../model/weights.js';

export interface DeltaSpec {
  dim: number;
  /** item row → embedding delta (length dim) */
  rows: Record<number, number[]>;
  /** item row → bias delta (default 0) */
  bias?: Record<number, number>;
  /** item row → rowCount (default 1) */
  counts?: Record<number, number>;
  adapter?: number[] | null;
  adapterCount?: number;
}

/**
 * Builds a SparseDelta from a readable literal — for hand-worked examples in tests and docs.
 *
 * @example
 * deltaOf({ dim: 2, rows: { 3: [1, 0] }, counts: { 3: 4 } });
 */
export function deltaOf(spec: DeltaSpec): SparseDelta {
  const ids = Object.keys(spec.rows).map(Number).sort((a, b) => a - b);
  const { dim } = spec;
  const emb = new Float32Array(ids.length * dim);
  ids.forEach((r, j) => emb.set(spec.rows[r], j * dim));
  const rowCounts = Uint32Array.from(ids, (r) => spec.counts?.[r] ?? 1);
  const adapter = spec.adapter ? Float32Array.from(spec.adapter) : null;
  return {
    dim,
    rows: Uint32Array.from(ids),
    emb,
    bias: Float32Array.from(ids, (r) => spec.bias?.[r] ?? 0),
    rowCounts,
    adapter,
    adapterCount: spec.adapterCount ?? (adapter ? 1 : 0),
    samples: rowCounts.reduce((s, c) => s + c, 0),
  };
}
