import type { ModelWeights } from '../model/weights.js';
import type { ClientUpdate } from './aggregation-strategy.js';
import { cappedWeights } from './capped-weights.js';
import { CountCap } from './count-cap.js';

/** An aggregated (pseudo-gradient) delta over the rows that received weight. */
export interface MeanDelta {
  /** ascending */
  rows: Uint32Array;
  /** rows.length × dim */
  emb: Float32Array;
  bias: Float32Array;
  /** null when no update carried adapter weight */
  adapter: Float32Array | null;
  /** nodes whose claimed weight the count cap lowered → fraction removed (see cappedWeights) */
  countCut?: Record<string, number>;
}

const DEFAULT_COUNT_CAP = CountCap.parse({});

/**
 * Sparse weighted mean: each row is the average of the deltas of the nodes that touched it,
 * weighted by `rowCounts[j] × weight`; the adapter by `adapterCount × weight`. The claimed
 * counts go through `cap` first (default on: see CountCap; `false` = raw counts). Rows with no
 * positive weight are absent. One pass over the updates into accumulators sized to the union
 * of touched rows, so cost is O(Σ touched rows × dim), independent of the catalog size apart
 * from O(numItems) slot tables.
 *
 * @example
 * const mean = weightedMeanDelta(base, updates);
 * const next = applyMeanDelta(base, mean, 1);
 */
export function weightedMeanDelta(
  base: ModelWeights,
  updates: readonly ClientUpdate[],
  cap: CountCap = DEFAULT_COUNT_CAP,
): MeanDelta & { countCut: Record<string, number> } {
  const { numItems, dim } = base;
  const weights = cappedWeights(numItems, updates, cap);
  const slot = new Int32Array(numItems).fill(-1);
  updates.forEach((u, i) => {
    const w = weights.rows[i];
    u.delta.rows.forEach((r, j) => void (w[j] > 0 && (slot[r] = 0)));
  });
  let n = 0;
  for (let r = 0; r < numItems; r++) if (slot[r] === 0) n++;
  const rows = new Uint32Array(n);
  for (let r = 0, k = 0; r < numItems; r++) {
    if (slot[r] === 0) {
      rows[k] = r;
      slot[r] = k++;
    }
  }
  const acc = new Float64Array(n * dim);
  const biasAcc = new Float64Array(n);
  const wsum = new Float64Array(n);
  let adapterAcc: Float64Array | null = null;
  let adapterW = 0;
  for (let i = 0; i < updates.length; i++) {
    const { adapter } = updates[i].delta;
    accumulateRows(updates[i].delta, weights.rows[i], slot, acc, biasAcc, wsum);
    const aw = weights.adapter[i];
    if (adapter && aw > 0) {
      adapterAcc ??= new Float64Array(adapter.length);
      for (let k = 0; k < adapter.length; k++) adapterAcc[k] += aw * adapter[k];
      adapterW += aw;
    }
  }
  const emb = new Float32Array(n * dim);
  const bias = new Float32Array(n);
  for (let s = 0; s < n; s++) {
    const inv = 1 / wsum[s];
    bias[s] = biasAcc[s] * inv;
    for (let k = s * dim; k < (s + 1) * dim; k++) emb[k] = acc[k] * inv;
  }
  const adapter = adapterAcc && Float32Array.from(adapterAcc, (x) => x / adapterW);
  return { rows, emb, bias, adapter, countCut: weights.cut };
}

/** Adds one update's rows, weighted by `w[j]`, into the slot-indexed accumulators. */
function accumulateRows(
  d: ClientUpdate['delta'],
  weights: Float64Array,
  slot: Int32Array,
  acc: Float64Array,
  biasAcc: Float64Array,
  wsum: Float64Array,
): void {
  const { dim, rows, emb, bias } = d;
  for (let j = 0; j < rows.length; j++) {
    const w = weights[j];
    if (!(w > 0)) continue;
    const s = slot[rows[j]];
    wsum[s] += w;
    biasAcc[s] += w * bias[j];
    const so = s * dim;
    const jo = j * dim;
    for (let k = 0; k < dim; k++) acc[so + k] += w * emb[jo + k];
  }
}

/**
 * `base + lr · mean` as new weights (base untouched).
 *
 * @example
 * const next = applyMeanDelta(base, weightedMeanDelta(base, updates), 1);
 */
export function applyMeanDelta(base: ModelWeights, mean: MeanDelta, lr: number): ModelWeights {
  const { dim } = base;
  const itemEmb = base.itemEmb.slice();
  const itemBias = base.itemBias.slice();
  const adapter = base.adapter.slice();
  for (let s = 0; s < mean.rows.length; s++) {
    const r = mean.rows[s];
    itemBias[r] += lr * mean.bias[s];
    const ro = r * dim;
    const so = s * dim;
    for (let k = 0; k < dim; k++) itemEmb[ro + k] += lr * mean.emb[so + k];
  }
  if (mean.adapter) for (let i = 0; i < adapter.length; i++) adapter[i] += lr * mean.adapter[i];
  return { numItems: base.numItems, dim, itemEmb, itemBias, adapter };
}
