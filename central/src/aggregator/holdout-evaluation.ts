import type { LooSplit } from '@edgerec/services/data';
import { RankingMetrics, rankAmong } from '@edgerec/services/data';
import { adapterRankOf, defaultModelConfig, RecommenderModel, type ModelWeights } from '@edgerec/services/model';
import type { ComputeBackend } from '../backend/index.js';

/**
 * A held-out user set central evaluates candidates on (DESIGN §4). In the demo and the
 * federated evaluation central is given a small slice of users (their leave-one-out split);
 * in production it would be a public or synthetic set.
 *
 * User vectors are private to edges, so by default a holdout user is represented by its
 * history alone (p_u = 0, q = W·mean(E[last historyLen train items])): exactly the part of
 * the model federation changes. A central that does hold vectors for its holdout users
 * passes them in `userVectors`, indexed by the split's user ids.
 */
export interface CentralHoldout {
  split: LooSplit;
  userVectors?: readonly (Float32Array | undefined)[];
  /** recent-history window (default 20, ModelConfig's default) */
  historyLen?: number;
  /** also rank against the whole catalogue (default true) */
  full?: boolean;
}

export interface HoldoutMetrics {
  hr10: number;
  ndcg10: number;
  hr10Full: number | null;
  ndcg10Full: number | null;
  users: number;
}

/** Score-matrix values per batch (users × items): 4 Mi floats = 16 MiB. */
const BATCH_VALUES = 1 << 22;

/**
 * Leave-one-out HR@10/NDCG@10 of `weights` on the holdout, scoring users in batches as one
 * (users × d)·(items × d)ᵀ product on the compute backend. Same protocol as the services'
 * `evaluateLoo` (100 sampled negatives, ties count against the positive; full ranking skips
 * the user's train items), so the numbers are comparable.
 *
 * @example
 * const m = evaluateOnHoldout(candidate, holdout, backend); // { hr10: 0.42, ndcg10: 0.25, … }
 */
export function evaluateOnHoldout(weights: ModelWeights, holdout: CentralHoldout, backend: ComputeBackend): HoldoutMetrics {
  const { split } = holdout;
  const d = weights.dim;
  const n = weights.numItems;
  const historyLen = holdout.historyLen ?? 20;
  const withFull = holdout.full ?? true;
  const model = new RecommenderModel(weights, defaultModelConfig({ dim: d, adapterRank: adapterRankOf(weights), historyLen }));
  const zero = new Float32Array(d);
  const m = new Float32Array(d);
  const sampled = new RankingMetrics(10);
  const full = withFull ? new RankingMetrics(10) : null;
  const cases = split.test.filter((tc) => tc.item < n);
  const batch = Math.max(1, Math.floor(BATCH_VALUES / Math.max(1, n)));
  const mask = new Uint8Array(n);
  for (let start = 0; start < cases.length; start += batch) {
    const part = cases.slice(start, start + batch);
    const queries = new Float32Array(part.length * d);
    part.forEach((tc, i) => {
      const train = split.trainByUser[tc.user] ?? new Uint32Array(0);
      const history = Array.from(train.subarray(Math.max(0, train.length - historyLen))).filter((it) => it < n);
      const vec = holdout.userVectors?.[tc.user] ?? zero;
      model.userQuery({ vec, accum: 0, recent: history }, history, queries.subarray(i * d, (i + 1) * d), m);
    });
    const scores = backend.scoreMatrix(queries, part.length, weights.itemEmb, n, d, weights.itemBias);
    part.forEach((tc, i) => {
      const row = scores.subarray(i * n, (i + 1) * n);
      const cand = new Float32Array(tc.negatives.length + 1);
      cand[0] = row[tc.item];
      tc.negatives.forEach((neg, j) => (cand[j + 1] = neg < n ? row[neg] : Number.NaN));
      sampled.update(rankAmong(cand, 0));
      if (!full) return;
      const seen = split.trainByUser[tc.user] ?? new Uint32Array(0);
      for (const it of seen) if (it < n) mask[it] = 1;
      mask[tc.item] = 0;
      full.update(rankAmong(row, tc.item, mask));
      for (const it of seen) if (it < n) mask[it] = 0;
    });
  }
  const s = sampled.get();
  const f = full?.get();
  return { hr10: s.hr, ndcg10: s.ndcg, hr10Full: f ? f.hr : null, ndcg10Full: f ? f.ndcg : null, users: s.count };
}

/** Registry metric names of holdout results. */
export function holdoutMetricRecord(h: HoldoutMetrics): Record<string, number> {
  const out: Record<string, number> = { 'hr@10': h.hr10, 'ndcg@10': h.ndcg10, holdout_users: h.users };
  if (h.hr10Full !== null) out['hr@10_full'] = h.hr10Full;
  if (h.ndcg10Full !== null) out['ndcg@10_full'] = h.ndcg10Full;
  return out;
}
