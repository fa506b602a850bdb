/**
 * Shared (federated) parameters of the recommender. User vectors are private to an edge
 * and never part of these weights.
 *
 * Layout: `itemEmb` is row-major `numItems × dim`. The adapter is a gated low-rank
 * W = α·I + A·Bᵀ, stored as `[A | B | α]` with A and B row-major `dim × rank`
 * (length 2·dim·rank + 1). See docs/decisions.md for why it is not a dense dim × dim matrix.
 */
export interface ModelWeights {
  numItems: number;
  dim: number;
  itemEmb: Float32Array;
  itemBias: Float32Array;
  adapter: Float32Array;
}

/**
 * Sparse update of the shared parameters: new − base for the touched item rows only
 * (embedding row and bias together), plus the dense adapter delta when it was touched.
 * `rowCounts[j]` is how many training updates touched `rows[j]` (weights for sparse FedAvg).
 */
export interface SparseDelta {
  dim: number;
  rows: Uint32Array;
  /** rows.length × dim, row-major, aligned with `rows` */
  emb: Float32Array;
  /** rows.length, aligned with `rows` */
  bias: Float32Array;
  rowCounts: Uint32Array;
  /** same length as `ModelWeights.adapter`, or null when the adapter was not touched */
  adapter: Float32Array | null;
  adapterCount: number;
  /** number of training examples behind this delta (FedAvg sample weight) */
  samples: number;
}

export function createWeights(numItems: number, dim: number, adapterRank = 0): ModelWeights {
  return {
    numItems,
    dim,
    itemEmb: new Float32Array(numItems * dim),
    itemBias: new Float32Array(numItems),
    adapter: new Float32Array(2 * dim * adapterRank + 1),
  };
}

/** Rank of the low-rank adapter stored in `w.adapter`. */
export const adapterRankOf = (w: Pick<ModelWeights, 'dim' | 'adapter'>): number => (w.adapter.length - 1) / (2 * w.dim);

export function cloneWeights(w: ModelWeights): ModelWeights {
  return {
    numItems: w.numItems,
    dim: w.dim,
    itemEmb: w.itemEmb.slice(),
    itemBias: w.itemBias.slice(),
    adapter: w.adapter.slice(),
  };
}

/**
 * `q · E_item + b_item`: one item's score for a precomputed user query (f64 sum).
 *
 * @example
 * const s = rowScore(model.weights, model.userQuery(user), 42);
 */
export function rowScore(w: ModelWeights, q: Float32Array, item: number): number {
  const d = w.dim;
  const E = w.itemEmb;
  const off = item * d;
  let s = w.itemBias[item];
  for (let k = 0; k < d; k++) s += q[k] * E[off + k];
  return s;
}
