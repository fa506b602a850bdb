import type { ClientUpdate } from './aggregation-strategy.js';
import { capNodeWeights, type CountCap } from './count-cap.js';

/** The weights a count-weighted mean uses, after the count cap. */
export interface CappedWeights {
  /** per update, aligned with its delta's rows: rowCount × staleness weight, capped (0 = not used) */
  rows: Float64Array[];
  /** per update: adapterCount × staleness weight, capped (0 when it sent no adapter) */
  adapter: Float64Array;
  /** per node whose weight the cap lowered: the fraction of its claimed weight (rows + adapter) removed */
  cut: Record<string, number>;
}

/**
 * Per-row weights of a round's updates with the count cap applied (see CountCap): for every
 * row — and the adapter — touched by ≥ `minNodes` distinct nodes, the nodes' weights (a node
 * that sent several updates counts once, with their sum) go through `capNodeWeights`, and each
 * update's entry is scaled by its node's factor. O(Σ touched rows + numItems + Σ k·log k).
 *
 * @example
 * const { rows, cut } = cappedWeights(base.numItems, updates, CountCap.parse({}));
 * cut['edge-3']; // 0.999…: edge-3 claimed ~all of its weight beyond the cap
 */
export function cappedWeights(numItems: number, updates: readonly ClientUpdate[], cap: CountCap): CappedWeights {
  const rows = updates.map((u) => {
    const sw = u.weight ?? 1;
    return Float64Array.from(u.delta.rowCounts, (c) => positive(c * sw));
  });
  const adapter = Float64Array.from(updates, (u) => (u.delta.adapter ? positive(u.delta.adapterCount * (u.weight ?? 1)) : 0));
  const ids = new Map<string, number>();
  const nodeOf = Int32Array.from(updates, (u) => {
    if (!ids.has(u.nodeId)) ids.set(u.nodeId, ids.size);
    return ids.get(u.nodeId)!;
  });
  if (cap === false || ids.size < cap.minNodes) return { rows, adapter, cut: {} };
  const claimed = nodeTotals(ids.size, nodeOf, rows, adapter);
  const group = new RowGroup(ids.size, cap);

  const { start, entU, entJ } = entriesByRow(numItems, updates, rows);
  const entryNode = (e: number) => nodeOf[entU[e]];
  const entryWeight = (e: number) => rows[entU[e]][entJ[e]];
  const scaleEntry = (e: number, f: number) => void (rows[entU[e]][entJ[e]] *= f);
  for (let r = 0; r < numItems; r++) {
    if (start[r + 1] - start[r] < cap.minNodes) continue; // fewer entries than nodes needed
    group.apply(start[r], start[r + 1], entryNode, entryWeight, scaleEntry);
  }
  group.apply(0, updates.length, (i) => nodeOf[i], (i) => adapter[i], (i, f) => (adapter[i] *= f));

  const kept = nodeTotals(ids.size, nodeOf, rows, adapter);
  const cut: Record<string, number> = {};
  for (const [id, x] of ids) if (kept[x] < claimed[x] * (1 - 1e-9)) cut[id] = 1 - kept[x] / claimed[x];
  return { rows, adapter, cut };
}

const positive = (w: number): number => (w > 0 ? w : 0);

/** CSR of the weighted entries by row: entries start[r] .. start[r + 1] are (update entU[e], position entJ[e]). */
function entriesByRow(numItems: number, updates: readonly ClientUpdate[], rows: Float64Array[]) {
  const start = new Int32Array(numItems + 1);
  for (let i = 0; i < updates.length; i++) {
    const ids = updates[i].delta.rows;
    for (let j = 0; j < ids.length; j++) if (rows[i][j] > 0) start[ids[j] + 1]++;
  }
  for (let r = 0; r < numItems; r++) start[r + 1] += start[r];
  const entU = new Int32Array(start[numItems]);
  const entJ = new Int32Array(start[numItems]);
  const next = start.slice(0, numItems);
  for (let i = 0; i < updates.length; i++) {
    const ids = updates[i].delta.rows;
    for (let j = 0; j < ids.length; j++) {
      if (!(rows[i][j] > 0)) continue;
      const e = next[ids[j]]++;
      entU[e] = i;
      entJ[e] = j;
    }
  }
  return { start, entU, entJ };
}

function nodeTotals(m: number, nodeOf: Int32Array, rows: Float64Array[], adapter: Float64Array): Float64Array {
  const t = new Float64Array(m);
  rows.forEach((a, i) => {
    for (const w of a) t[nodeOf[i]] += w;
    t[nodeOf[i]] += adapter[i];
  });
  return t;
}

/** Scratch for one row at a time: sums each node's entries, caps the node weights, scales the entries. */
class RowGroup {
  private readonly slot: Int32Array;
  private readonly nodes: Int32Array;
  private readonly w: Float64Array;
  private readonly orig: Float64Array;

  constructor(m: number, private readonly cap: Exclude<CountCap, false>) {
    this.slot = new Int32Array(m).fill(-1);
    this.nodes = new Int32Array(m);
    this.w = new Float64Array(m);
    this.orig = new Float64Array(m);
  }

  apply(from: number, to: number, node: (e: number) => number, weight: (e: number) => number, scale: (e: number, f: number) => void): void {
    const { slot, nodes, w, orig } = this;
    let k = 0;
    for (let e = from; e < to; e++) {
      const x = weight(e);
      if (!(x > 0)) continue;
      const n = node(e);
      if (slot[n] < 0) {
        slot[n] = k;
        nodes[k] = n;
        w[k++] = 0;
      }
      w[slot[n]] += x;
    }
    if (k >= this.cap.minNodes) {
      orig.set(w.subarray(0, k));
      if (capNodeWeights(w, k, this.cap)) {
        for (let e = from; e < to; e++) {
          const s = slot[node(e)];
          if (s >= 0 && w[s] < orig[s]) scale(e, w[s] / orig[s]);
        }
      }
    }
    for (let s = 0; s < k; s++) slot[nodes[s]] = -1;
  }
}
