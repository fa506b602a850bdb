import type { ScoredItem } from '../top-k.js';
import type { ModelWeights } from '../weights.js';

/**
 * Approximate top-k by inner product `q · E_i + b_i` over a large item table (≥ ~1M items,
 * where the exact scan of simd/ costs too much per query). The item bias is folded into
 * the vectors: items are indexed as `[E_i, b_i]` and queried with `[q, 1]`, so the index's
 * inner product is exactly the model's score.
 *
 * @example
 * const index = HnswAnnIndex.build(model.weights, { efSearch: 64 });
 * index.search(q, 10, seen);                       // best first, like RecommenderModel.topK
 * index.update(model.weights, tracker.touchedRows()); // after online learning
 */
export interface AnnIndex {
  /** rows currently searchable (not removed) */
  readonly size: number;
  /** embedding dim of the model (the index stores dim + 1) */
  readonly dim: number;
  /** Approximate top-k, best first, skipping `exclude`; scores are the model's `q·E_i + b_i`. */
  search(q: ArrayLike<number>, k: number, exclude?: { has(item: number): boolean }): ScoredItem[];
  /** Re-reads `rows` from `weights` (changed rows are updated in place, rows past the end are added). */
  update(weights: ModelWeights, rows: ArrayLike<number>): void;
  /** Takes `rows` out of search results until they are updated again. */
  remove(rows: ArrayLike<number>): void;
}

/** `[E_i, b_i]` as a plain array (what the native index takes). */
export function augmentedRow(w: ModelWeights, i: number): number[] {
  const d = w.dim;
  const v = new Array<number>(d + 1);
  const off = i * d;
  for (let k = 0; k < d; k++) v[k] = w.itemEmb[off + k];
  v[d] = w.itemBias[i];
  return v;
}

/** `[q, 1]`: with augmented rows, the inner product is `q · E_i + b_i`. */
export function augmentedQuery(q: ArrayLike<number>, dim: number): number[] {
  const v = new Array<number>(dim + 1);
  for (let k = 0; k < dim; k++) v[k] = q[k];
  v[dim] = 1;
  return v;
}

/** Exact top-k for a query: the reference an ANN index is measured against. */
export type ExactSearch = (q: ArrayLike<number>, k: number) => ScoredItem[];

/**
 * recall@k of `index` against exact search: the mean over `queries` of
 * |ANN top-k ∩ exact top-k| / k (k = 10 unless given).
 *
 * @example
 * const scorer = simdScorerOf(model.weights)!;
 * measureRecall(index, (q, k) => scorer.topK(q, k), queries); // e.g. 0.97
 */
export function measureRecall(index: AnnIndex, exact: ExactSearch, queries: readonly ArrayLike<number>[], k = 10): number {
  if (queries.length === 0) return NaN;
  let sum = 0;
  for (const q of queries) {
    const truth = exact(q, k);
    if (truth.length === 0) {
      sum += 1;
      continue;
    }
    const want = new Set(truth.map((s) => s.item));
    let hit = 0;
    for (const s of index.search(q, k)) if (want.has(s.item)) hit++;
    sum += hit / truth.length;
  }
  return sum / queries.length;
}
