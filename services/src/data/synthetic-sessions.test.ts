import { describe, expect, it } from 'vitest';
import { generateSynthetic } from './synthetic.js';
import { leaveOneOut } from './leave-one-out.js';

/** Share of consecutive train items (per user) that come from the same taste cluster. */
function sameClusterRate(sessionLength: number): number {
  const ds = generateSynthetic({ seed: 3, numUsers: 150, numItems: 600, sessionLength });
  const split = leaveOneOut(ds, { negatives: 0 });
  let same = 0;
  let pairs = 0;
  for (const seq of split.trainByUser) {
    for (let t = 1; t < seq.length; t++) {
      pairs++;
      if (ds.truth.itemCluster[seq[t]] === ds.truth.itemCluster[seq[t - 1]]) same++;
    }
  }
  return same / pairs;
}

describe('synthetic sessions', () => {
  it('make consecutive items share a taste cluster more often', () => {
    expect(sameClusterRate(10)).toBeGreaterThan(sameClusterRate(0) + 0.1);
  });

  it('keep the data set deterministic for a seed', () => {
    const a = generateSynthetic({ seed: 5, numUsers: 40, numItems: 300, sessionLength: 8 });
    const b = generateSynthetic({ seed: 5, numUsers: 40, numItems: 300, sessionLength: 8 });
    expect(a.interactions).toEqual(b.interactions);
  });

  it('never repeat an item within a user', () => {
    const ds = generateSynthetic({ seed: 6, numUsers: 60, numItems: 400, sessionLength: 5, driftAt: 0.5 });
    const byUser = new Map<number, Set<number>>();
    for (const it of ds.interactions) {
      const s = byUser.get(it.user) ?? new Set<number>();
      expect(s.has(it.item)).toBe(false);
      s.add(it.item);
      byUser.set(it.user, s);
    }
  });
});
