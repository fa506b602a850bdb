import { DomainError } from '@edgerec/proto-schemas';
import type { Interaction } from './dataset.js';
import type { LooSplit } from './leave-one-out.js';
import { RankingMetrics, rankAmong } from './metrics.js';

/** What evaluation needs from a model: scores for a candidate list and for the whole catalogue. */
export interface LooScorer {
  /** out[j] = score of items[j] for `user`; out.length === items.length */
  scoreItems(user: number, items: Uint32Array, out: Float32Array): void;
  /** out[i] = score of item i for `user`; out.length === numItems */
  scoreAll(user: number, out: Float32Array): void;
}

export interface EvaluateLooOptions {
  /** cut-off of HR/NDCG (default 10; the result keys say 10 regardless) */
  k?: number;
  /** also rank against the whole catalogue (default true) */
  full?: boolean;
  /** catalogue size for full ranking (default: the split's) */
  numItems?: number;
  /** full ranking skips the user's train items, except the positive itself (default true) */
  excludeTrain?: boolean;
  /** evaluate only these users' test cases (e.g. one edge's users) */
  users?: ArrayLike<number>;
}

export interface LooResult {
  hr10: number;
  ndcg10: number;
  /** null when `full` was off */
  hr10Full: number | null;
  ndcg10Full: number | null;
  /** test cases evaluated */
  users: number;
}

/** Mergeable accumulators behind `LooResult` (federated evaluation merges these). */
export interface LooMetrics {
  sampled: RankingMetrics;
  full: RankingMetrics | null;
}

/**
 * Leave-one-out evaluation: the sampled metric ranks each positive among its negatives
 * (`scoreItems` on [positive, ...negatives]); the full metric ranks it among all items
 * but the user's train items (`scoreAll`). Ties count against the positive (`rankAmong`).
 *
 * @example
 * const split = leaveOneOut(ds, { negatives: 100, seed: 7 });
 * evaluateLoo(ItemPopularityScorer.fromSplit(split), split); // { hr10: 0.4, ndcg10: 0.23, … }
 */
export function evaluateLoo(scorer: LooScorer, split: LooSplit, opts: EvaluateLooOptions = {}): LooResult {
  const { sampled, full } = accumulateLoo(scorer, split, opts);
  const s = sampled.get();
  const f = full?.get();
  return { hr10: s.hr, ndcg10: s.ndcg, hr10Full: f ? f.hr : null, ndcg10Full: f ? f.ndcg : null, users: s.count };
}

/**
 * The accumulating half of `evaluateLoo`, for callers that merge results across edges.
 *
 * @example
 * const a = accumulateLoo(scorerA, split, { users: edgeAUsers });
 * a.sampled.merge(accumulateLoo(scorerB, split, { users: edgeBUsers }).sampled);
 */
export function accumulateLoo(scorer: LooScorer, split: LooSplit, opts: EvaluateLooOptions = {}): LooMetrics {
  const k = opts.k ?? 10;
  const numItems = opts.numItems ?? split.numItems;
  const excludeTrain = opts.excludeTrain ?? true;
  const sampled = new RankingMetrics(k);
  const full = (opts.full ?? true) ? new RankingMetrics(k) : null;
  const only = opts.users === undefined ? null : new Set(Array.from(opts.users));
  const all = new Float32Array(numItems);
  const mask = new Uint8Array(numItems);
  for (const tc of split.test) {
    if (only !== null && !only.has(tc.user)) continue;
    const cand = new Uint32Array(tc.negatives.length + 1);
    cand[0] = tc.item;
    cand.set(tc.negatives, 1);
    const out = new Float32Array(cand.length);
    scorer.scoreItems(tc.user, cand, out);
    sampled.update(rankAmong(out, 0));
    if (full === null) continue;
    if (tc.item >= numItems) throw new DomainError('bad_split', 400, `test item ${tc.item} ≥ numItems ${numItems}`);
    scorer.scoreAll(tc.user, all);
    const seen = excludeTrain ? split.trainByUser[tc.user] : undefined;
    if (seen) for (const i of seen) if (i < numItems) mask[i] = 1;
    mask[tc.item] = 0;
    full.update(rankAmong(all, tc.item, mask));
    if (seen) for (const i of seen) if (i < numItems) mask[i] = 0;
  }
  return { sampled, full };
}

/**
 * Most-popular baseline: every user gets the same score per item, its train count. The
 * reference row `itempop_hr@10` of the evaluation reports.
 *
 * @example
 * const pop = ItemPopularityScorer.fromSplit(split);
 * evaluateLoo(pop, split).hr10;
 */
export class ItemPopularityScorer implements LooScorer {
  readonly counts: Float32Array;

  constructor(train: readonly Interaction[], numItems: number) {
    this.counts = new Float32Array(numItems);
    for (const it of train) if (it.item < numItems) this.counts[it.item]++;
  }

  static fromSplit(split: LooSplit): ItemPopularityScorer {
    return new ItemPopularityScorer(split.train, split.numItems);
  }

  scoreItems(_user: number, items: Uint32Array, out: Float32Array): void {
    for (let j = 0; j < items.length; j++) out[j] = items[j] < this.counts.length ? this.counts[items[j]] : 0;
  }

  scoreAll(_user: number, out: Float32Array): void {
    out.set(this.counts.subarray(0, out.length));
  }
}
