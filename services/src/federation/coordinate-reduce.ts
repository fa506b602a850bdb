import type { ModelWeights } from '../model/weights.js';
import { updateNorms, type AggregateResult, type ClientUpdate } from './aggregation-strategy.js';
import { median } from './delta-norms.js';
import { applyMeanDelta, type MeanDelta } from './weighted-mean.js';

/** Combines the values that the contributing nodes sent for one coordinate (`n` of them, in `v[0..n)`). */
export type CoordinateReducer = (v: Float64Array, n: number) => number;

export interface CoordinateOptions {
  strategy: string;
  serverLr: number;
  /** rows (and the adapter) with fewer contributing nodes stay unchanged */
  minNodes: number;
  /** flag nodes whose RMS distance to the result exceeds this × the median node's */
  outlierFactor: number;
  /** L2 norm of each update, from validateUpdates */
  norms: readonly number[];
}

/**
 * Coordinate-wise robust aggregation over sparse deltas: for every row, only the nodes that
 * touched it contribute (a node that never saw an item has no opinion on it, so it is not
 * counted as a zero vote). Row counts and staleness weights are not used as weights — counts
 * are claimed by the client, so a Byzantine node could inflate them — but a weight of 0 (or a
 * row count of 0) excludes the contribution.
 */
export function reduceCoordinatewise(
  base: ModelWeights,
  updates: readonly ClientUpdate[],
  reduce: CoordinateReducer,
  o: CoordinateOptions,
): AggregateResult {
  const { numItems, dim } = base;
  const live = updates.filter((u) => (u.weight ?? 1) > 0);
  // CSR layout: for each row, the (update, local row) pairs that touched it.
  const count = new Uint32Array(numItems);
  for (const u of live) for (let j = 0; j < u.delta.rows.length; j++) if (u.delta.rowCounts[j] > 0) count[u.delta.rows[j]]++;
  const start = new Uint32Array(numItems + 1);
  for (let r = 0; r < numItems; r++) start[r + 1] = start[r] + count[r];
  const who = new Uint32Array(start[numItems]);
  const at = new Uint32Array(start[numItems]);
  const fill = start.slice(0, numItems);
  live.forEach((u, i) => {
    for (let j = 0; j < u.delta.rows.length; j++) {
      if (u.delta.rowCounts[j] === 0) continue;
      const slot = fill[u.delta.rows[j]]++;
      who[slot] = i;
      at[slot] = j;
    }
  });
  const rowList: number[] = [];
  for (let r = 0; r < numItems; r++) if (count[r] >= Math.max(1, o.minNodes)) rowList.push(r);
  const rows = Uint32Array.from(rowList);
  const emb = new Float32Array(rows.length * dim);
  const bias = new Float32Array(rows.length);
  const scratch = new Float64Array(Math.max(live.length, 1));
  rows.forEach((r, s) => {
    const from = start[r];
    const n = count[r];
    for (let k = 0; k < dim; k++) {
      for (let c = 0; c < n; c++) scratch[c] = live[who[from + c]].delta.emb[at[from + c] * dim + k];
      emb[s * dim + k] = reduce(scratch, n);
    }
    for (let c = 0; c < n; c++) scratch[c] = live[who[from + c]].delta.bias[at[from + c]];
    bias[s] = reduce(scratch, n);
  });
  const withAdapter = live.filter((u) => u.delta.adapter && u.delta.adapterCount > 0);
  let adapter: Float32Array | null = null;
  if (withAdapter.length >= Math.max(1, o.minNodes)) {
    adapter = new Float32Array(base.adapter.length);
    for (let i = 0; i < adapter.length; i++) {
      withAdapter.forEach((u, c) => (scratch[c] = u.delta.adapter![i]));
      adapter[i] = reduce(scratch, withAdapter.length);
    }
  }
  const mean: MeanDelta = { rows, emb, bias, adapter };
  return {
    weights: applyMeanDelta(base, mean, o.serverLr),
    stats: {
      strategy: o.strategy, nodes: updates.length, rowsUpdated: rows.length, adapterUpdated: adapter !== null,
      clipped: [], outliers: flagOutliers(live, mean, numItems, o.outlierFactor), updateNorms: updateNorms(updates, o.norms),
    },
  };
}

/**
 * Nodes whose delta is far from the aggregate: RMS distance over the values the node sent
 * (rows the aggregate left unchanged count against the aggregate's zero) above
 * `factor × median` of all nodes' distances.
 */
export function flagOutliers(updates: readonly ClientUpdate[], agg: MeanDelta, numItems: number, factor: number): string[] {
  if (updates.length < 3 || !Number.isFinite(factor)) return [];
  const slot = new Int32Array(numItems).fill(-1);
  agg.rows.forEach((r, s) => (slot[r] = s));
  const dist = updates.map(({ delta: d }) => {
    let sq = 0;
    let n = 0;
    for (let j = 0; j < d.rows.length; j++) {
      const s = slot[d.rows[j]];
      for (let k = 0; k < d.dim; k++) {
        const diff = d.emb[j * d.dim + k] - (s >= 0 ? agg.emb[s * d.dim + k] : 0);
        sq += diff * diff;
      }
      const db = d.bias[j] - (s >= 0 ? agg.bias[s] : 0);
      sq += db * db;
      n += d.dim + 1;
    }
    if (d.adapter && agg.adapter) {
      for (let i = 0; i < d.adapter.length; i++) sq += (d.adapter[i] - agg.adapter[i]) ** 2;
      n += d.adapter.length;
    }
    return n ? Math.sqrt(sq / n) : 0;
  });
  const cut = factor * median(dist);
  return updates.filter((_, i) => dist[i] > cut).map((u) => u.nodeId);
}
