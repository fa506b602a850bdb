import { describe, expect, it } from 'vitest';
import type { Dataset } from './dataset.js';
import { ItemPopularityScorer, accumulateLoo, evaluateLoo, type LooScorer } from './evaluate.js';
import { leaveOneOut, type LooSplit } from './leave-one-out.js';
import type { RankingMetrics } from './metrics.js';
import { generateSynthetic } from './synthetic.js';

/** Scores from a function of (user, item). */
const scorerOf = (f: (user: number, item: number) => number, numItems: number): LooScorer => ({
  scoreItems: (user, items, out) => items.forEach((i, j) => (out[j] = f(user, i))),
  scoreAll: (user, out) => {
    for (let i = 0; i < numItems; i++) out[i] = f(user, i);
  },
});

const ds = generateSynthetic({ seed: 2, numUsers: 80, numItems: 300, interactionsPerUser: 30 });
const split = leaveOneOut(ds, { negatives: 100, seed: 5 });
const positive = new Map(split.test.map((tc) => [tc.user, tc.item]));

describe('evaluateLoo', () => {
  it('gives HR = NDCG = 1 for an oracle that scores the held-out item highest', () => {
    const r = evaluateLoo(scorerOf((u, i) => (positive.get(u) === i ? 1 : 0), ds.numItems), split);
    expect(r).toEqual({ hr10: 1, ndcg10: 1, hr10Full: 1, ndcg10Full: 1, users: split.test.length });
  });

  it('gives 0 for a constant scorer: ties count against the positive', () => {
    const r = evaluateLoo(scorerOf(() => 0.5, ds.numItems), split);
    expect(r.hr10).toBe(0);
    expect(r.hr10Full).toBe(0);
  });

  it('ranks the positive third when two candidates beat it, in both protocols', () => {
    const hand: LooSplit = {
      numUsers: 1,
      numItems: 10,
      train: [],
      test: [{ user: 0, item: 7, negatives: Uint32Array.of(0, 1, 2, 3) }],
      trainByUser: [new Uint32Array(0)],
    };
    // items 0 and 1 beat the positive (7); everything else scores below it
    const r = evaluateLoo(scorerOf((_u, i) => (i < 2 ? 10 : i === 7 ? 5 : 0), 10), hand, { k: 10 });
    expect(r.ndcg10).toBe(0.5);
    expect(r.ndcg10Full).toBe(0.5);
  });

  it('full ranking skips train items but never the positive, even if it is also in train', () => {
    // train items score highest; the positive (also a train item of user 0) next
    const hand: LooSplit = {
      numUsers: 1,
      numItems: 6,
      train: [],
      test: [{ user: 0, item: 2, negatives: Uint32Array.of(4, 5) }],
      trainByUser: [Uint32Array.of(0, 1, 2)],
    };
    const f = (_u: number, i: number): number => [9, 8, 7, 1, 1, 1][i];
    expect(evaluateLoo(scorerOf(f, 6), hand).ndcg10Full).toBe(1);
    expect(evaluateLoo(scorerOf(f, 6), hand, { excludeTrain: false }).ndcg10Full).toBe(0.5);
    expect(evaluateLoo(scorerOf(f, 6), hand, { full: false })).toMatchObject({ hr10Full: null, ndcg10Full: null });
  });

  it('per-edge accumulators merge into the whole evaluation', () => {
    const pop = ItemPopularityScorer.fromSplit(split);
    const whole = accumulateLoo(pop, split);
    const odd = accumulateLoo(pop, split, { users: split.test.map((t) => t.user).filter((u) => u % 2 === 1) });
    const even = accumulateLoo(pop, split, { users: split.test.map((t) => t.user).filter((u) => u % 2 === 0) });
    const close = (a: { hr: number; ndcg: number; count: number }, b: { hr: number; ndcg: number; count: number }): void => {
      expect(a.count).toBe(b.count);
      expect(a.hr).toBeCloseTo(b.hr, 12);
      expect(a.ndcg).toBeCloseTo(b.ndcg, 12);
    };
    close(odd.sampled.merge(even.sampled).get(), whole.sampled.get());
    close((odd.full as RankingMetrics).merge(even.full as RankingMetrics).get(), (whole.full as RankingMetrics).get());
    expect(whole.sampled.get().count).toBe(split.test.length);
  });
});

describe('ItemPopularityScorer', () => {
  it('scores items by their train counts, the same for every user', () => {
    const tiny: Dataset = {
      name: 'tiny',
      numUsers: 3,
      numItems: 4,
      interactions: [
        { user: 0, item: 1, ts: 1 },
        { user: 1, item: 1, ts: 2 },
        { user: 2, item: 2, ts: 3 },
        { user: 0, item: 3, ts: 9 },
      ],
      userIds: ['a', 'b', 'c'],
      itemIds: ['w', 'x', 'y', 'z'],
    };
    const s = leaveOneOut(tiny, { negatives: 2, seed: 1 });
    const pop = ItemPopularityScorer.fromSplit(s);
    const out = new Float32Array(4);
    pop.scoreAll(2, out);
    expect([...out]).toEqual([0, 2, 1, 0]);
    const some = new Float32Array(2);
    pop.scoreItems(0, Uint32Array.of(2, 1), some);
    expect([...some]).toEqual([1, 2]);
    // user 0's test item 3 has count 0 and ties with item 0 → rank 1 among {3, 0, 2}: HR@1 = 0
    expect(evaluateLoo(pop, s, { k: 1 }).hr10).toBe(0);
  });

  it('beats chance on synthetic data, whose popularity is skewed', () => {
    const r = evaluateLoo(ItemPopularityScorer.fromSplit(split), split);
    expect(r.hr10).toBeGreaterThan(10 / 101);
  });
});
