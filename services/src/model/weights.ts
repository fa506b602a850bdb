/**
 * Shared (federated) parameters of the recommender. User vectors are private to an edge
 * and never part of these weights.
 *
 * Layout: `itemEmb` is row-major `numItems × dim`, `adapter` is row-major `dim × dim`.
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
  /** dim × dim or null when the adapter was not touched */
  adapter: Float32Array | null;
  adapterCount: number;
  /** number of training examples behind this delta (FedAvg sample weight) */
  samples: number;
}

export function createWeights(numItems: number, dim: number): ModelWeights {
  return {
    numItems,
    dim,
    itemEmb: new Float32Array(numItems * dim),
    itemBias: new Float32Array(numItems),
    adapter: new Float32Array(dim * dim),
  };
}

export function cloneWeights(w: ModelWeights): ModelWeights {
  return {
    numItems: w.numItems,
    dim: w.dim,
    itemEmb: w.itemEmb.slice(),
    itemBias: w.itemBias.slice(),
    adapter: w.adapter.slice(),
  };
}
