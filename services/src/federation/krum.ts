import { z } from 'zod';
import type { ModelWeights } from '../model/weights.js';
import {
  parseParams, updateNorms, validateUpdates,
  type AggregateResult, type AggregationStrategy, type ClientUpdate,
} from './aggregation-strategy.js';
import { deltaNorm } from './delta-norms.js';
import { applyMeanDelta, weightedMeanDelta } from './weighted-mean.js';
import { parseCountCap, type CountCapInput } from './count-cap.js';

export const KrumParams = z.object({
  /** number of Byzantine nodes to tolerate */
  f: z.number().int().min(0).default(1),
  /** how many updates to keep and average (Multi-Krum); default n − f; 1 = classic Krum */
  m: z.number().int().min(1).optional(),
  serverLr: z.number().positive().max(100).default(1),
});
export type KrumParams = z.infer<typeof KrumParams>;

/**
 * Multi-Krum (Blanchard et al. 2017): score each update by the sum of squared distances to
 * its n − f − 2 nearest neighbours, keep the m lowest-scoring ones and combine them with
 * sparse FedAvg (per-row count weighting, through the count cap). Distances are taken over the union of rows with
 * a row a node did not send counting as zeros, plus biases and the adapter.
 *
 * The guarantee needs n ≥ 2f + 3. With fewer updates it still runs — the neighbour count is
 * clamped to [1, n − 1] — but offers correspondingly weaker protection.
 *
 * @example
 * const s = createKrum({ f: 2 });
 * const { stats } = s.aggregate(global, updates); // stats.outliers: the rejected nodes
 */
export function createKrum(params: z.input<typeof KrumParams> & { countCap?: CountCapInput } = {}): AggregationStrategy {
  const p = parseParams(KrumParams, params, 'krum');
  const cap = parseCountCap(params.countCap);
  return {
    name: 'krum',
    aggregate(base: ModelWeights, updates: readonly ClientUpdate[]): AggregateResult {
      const norms = validateUpdates(base, updates);
      const n = updates.length;
      const keep = Math.min(n, p.m ?? Math.max(1, n - p.f));
      const selected = krumSelect(base.numItems, updates, p.f, keep, norms);
      const chosen = selected.map((i) => updates[i]);
      const inSet = new Set(selected);
      const mean = weightedMeanDelta(base, chosen, cap);
      return {
        weights: applyMeanDelta(base, mean, p.serverLr),
        stats: {
          strategy: 'krum', nodes: n, rowsUpdated: mean.rows.length, adapterUpdated: mean.adapter !== null,
          clipped: [], outliers: updates.filter((_, i) => !inSet.has(i)).map((u) => u.nodeId), countCut: mean.countCut,
          updateNorms: updateNorms(updates, norms),
        },
      };
    },
    exportState: () => null,
    importState: () => {},
  };
}

/** Indices of the `keep` updates with the lowest Krum scores (ties: lower index first). */
export function krumSelect(
  numItems: number,
  updates: readonly ClientUpdate[],
  f: number,
  keep: number,
  norms: readonly number[] = updates.map((u) => deltaNorm(u.delta)),
): number[] {
  const n = updates.length;
  if (n === 0) return [];
  const dist = pairwiseSquaredDistances(numItems, updates, norms);
  const neighbours = Math.max(1, Math.min(n - 1, n - f - 2));
  const scores = updates.map((_, i) => {
    const d: number[] = [];
    for (let j = 0; j < n; j++) if (j !== i) d.push(dist[i * n + j]);
    d.sort((a, b) => a - b);
    return d.slice(0, neighbours).reduce((s, x) => s + x, 0);
  });
  return scores
    .map((s, i) => [s, i] as const)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
    .slice(0, keep)
    .map(([, i]) => i)
    .sort((a, b) => a - b);
}

/**
 * n × n squared L2 distances via ‖a‖² + ‖b‖² − 2⟨a,b⟩; the inner product only needs rows both
 * updates touched, found through a slot table of the first update.
 */
function pairwiseSquaredDistances(numItems: number, updates: readonly ClientUpdate[], norms: readonly number[]): Float64Array {
  const n = updates.length;
  const sq = norms.map((x) => x * x);
  const out = new Float64Array(n * n);
  const slot = new Int32Array(numItems).fill(-1);
  for (let i = 0; i < n; i++) {
    const a = updates[i].delta;
    const dim = a.dim;
    a.rows.forEach((r, j) => (slot[r] = j));
    for (let k = i + 1; k < n; k++) {
      const b = updates[k].delta;
      let dot = 0;
      for (let j = 0; j < b.rows.length; j++) {
        const s = slot[b.rows[j]];
        if (s < 0) continue;
        dot += a.bias[s] * b.bias[j];
        for (let c = 0; c < dim; c++) dot += a.emb[s * dim + c] * b.emb[j * dim + c];
      }
      if (a.adapter && b.adapter) for (let c = 0; c < a.adapter.length; c++) dot += a.adapter[c] * b.adapter[c];
      const d = Math.max(0, sq[i] + sq[k] - 2 * dot);
      out[i * n + k] = d;
      out[k * n + i] = d;
    }
    a.rows.forEach((r) => (slot[r] = -1));
  }
  return out;
}
