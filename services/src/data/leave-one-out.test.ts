import { describe, expect, it } from 'vitest';
import type { Dataset, Interaction } from './dataset.js';
import { leaveOneOut } from './leave-one-out.js';
import { generateSynthetic } from './synthetic.js';

const dataset = (numUsers: number, numItems: number, rows: [number, number, number][]): Dataset => ({
  name: 'hand',
  numUsers,
  numItems,
  interactions: rows.map(([user, item, ts]): Interaction => ({ user, item, ts })),
  userIds: Array.from({ length: numUsers }, (_, u) => `u${u}`),
  itemIds: Array.from({ length: numItems }, (_, i) => `i${i}`),
});

describe('leaveOneOut on a hand-made data set', () => {
  // user 0: latest is item 5 @30 (item 5 also @10 — a repeat); user 1: tie @50, last row wins;
  // user 2: a single interaction, so no test case.
  const ds = dataset(3, 200, [
    [0, 5, 10],
    [1, 7, 50],
    [0, 3, 20],
    [2, 9, 5],
    [0, 5, 30],
    [1, 8, 50],
    [1, 6, 40],
  ]);
  const split = leaveOneOut(ds, { negatives: 100, seed: 1 });

  it('holds out each user’s latest interaction, ties going to the last row', () => {
    expect(split.test.map(({ user, item }) => [user, item])).toEqual([
      [0, 5],
      [1, 8],
    ]);
  });

  it('keeps every other row in train, repeats of the test item included, in data set order', () => {
    expect(split.train).toEqual([
      { user: 0, item: 5, ts: 10 },
      { user: 1, item: 7, ts: 50 },
      { user: 0, item: 3, ts: 20 },
      { user: 2, item: 9, ts: 5 },
      { user: 1, item: 6, ts: 40 },
    ]);
  });

  it('lists train items per user oldest first', () => {
    expect(split.trainByUser.map((a) => [...a])).toEqual([[5, 3], [6, 7], [9]]);
  });

  it('samples 100 distinct negatives the user never touched, reproducibly', () => {
    for (const tc of split.test) {
      const touched = new Set(ds.interactions.filter((x) => x.user === tc.user).map((x) => x.item));
      expect(tc.negatives).toHaveLength(100);
      expect(new Set(tc.negatives).size).toBe(100);
      expect([...tc.negatives].some((i) => touched.has(i) || i >= 200)).toBe(false);
    }
    expect(leaveOneOut(ds, { negatives: 100, seed: 1 }).test).toEqual(split.test);
    expect(leaveOneOut(ds, { negatives: 100, seed: 2 }).test[0].negatives).not.toEqual(split.test[0].negatives);
  });

  it('gives all remaining items when fewer than asked are left', () => {
    const small = leaveOneOut(dataset(1, 6, [[0, 0, 1], [0, 1, 2], [0, 2, 3]]), { negatives: 100, seed: 3 });
    expect([...small.test[0].negatives].sort()).toEqual([3, 4, 5]);
  });
});

describe('leaveOneOut invariants on synthetic data', () => {
  const ds = generateSynthetic({ seed: 4, numUsers: 150, numItems: 400, interactionsPerUser: 60, minInteractionsPerUser: 1 });
  const split = leaveOneOut(ds, { negatives: 100, seed: 9 });

  it('has one test case per user with at least two interactions, on that user’s latest item', () => {
    const rows = Array.from({ length: ds.numUsers }, () => [] as Interaction[]);
    for (const x of ds.interactions) rows[x.user].push(x);
    const eligible = rows.filter((r) => r.length >= 2).length;
    expect(split.test).toHaveLength(eligible);
    expect(split.train.length + split.test.length).toBe(ds.interactions.length);
    let wrong = 0;
    for (const tc of split.test) {
      const mine = rows[tc.user];
      const latest = mine.reduce((best, x) => (x.ts >= best.ts ? x : best));
      if (latest.item !== tc.item) wrong++;
      const touched = new Set(mine.map((x) => x.item));
      if (tc.negatives.length !== 100 || new Set(tc.negatives).size !== 100) wrong++;
      if ([...tc.negatives].some((i) => touched.has(i))) wrong++;
    }
    expect(wrong).toBe(0);
  });
});
