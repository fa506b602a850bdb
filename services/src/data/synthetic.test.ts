import { beforeAll, describe, expect, it } from 'vitest';
import { generateEventStream, generateSynthetic, type SyntheticDataset } from './synthetic.js';

/** Share of interactions whose item is in the user's own taste cluster (or the next one). */
function clusterShare(ds: SyntheticDataset, from: number, to: number, offset: number): number {
  const { itemCluster, userCluster } = ds.truth;
  const C = Math.max(...userCluster, ...itemCluster) + 1;
  let hit = 0;
  let n = 0;
  for (const it of ds.interactions) {
    if (it.ts < from || it.ts >= to) continue;
    n++;
    if (itemCluster[it.item] === (userCluster[it.user] + offset) % C) hit++;
  }
  return hit / n;
}

describe('generateSynthetic', () => {
  let ds: SyntheticDataset;
  beforeAll(() => {
    ds = generateSynthetic({ seed: 7 });
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const opts = { numUsers: 60, numItems: 300, interactionsPerUser: 40 };
    const a = generateSynthetic({ ...opts, seed: 1 });
    const b = generateSynthetic({ ...opts, seed: 1 });
    const c = generateSynthetic({ ...opts, seed: 2 });
    expect(b.interactions).toEqual(a.interactions);
    expect(b.userRegion).toEqual(a.userRegion);
    expect(c.interactions).not.toEqual(a.interactions);
  });

  it('defaults to an ml-100k-sized data set with at least 20 interactions per user', () => {
    expect(ds.numUsers).toBe(943);
    expect(ds.numItems).toBe(1682);
    expect(ds.interactions.length).toBeGreaterThan(85_000);
    expect(ds.interactions.length).toBeLessThan(115_000);
    const perUser = new Array(ds.numUsers).fill(0);
    for (const it of ds.interactions) perUser[it.user]++;
    expect(Math.min(...perUser)).toBeGreaterThanOrEqual(20);
    const sorted = [...perUser].sort((x, y) => x - y);
    // skewed counts: the median sits well below the mean, as in MovieLens
    expect(sorted[sorted.length >> 1]).toBeLessThan(ds.interactions.length / ds.numUsers);
    expect(ds.userRegion.every((r) => /^r[0-4]$/.test(r))).toBe(true);
  });

  it('orders interactions by time, with strictly increasing times and distinct items per user, users interleaved', () => {
    const lastTs = new Map<number, number>();
    const items = new Map<number, Set<number>>();
    let violations = 0;
    for (let k = 0; k < ds.interactions.length; k++) {
      const { user, item, ts } = ds.interactions[k];
      if (k > 0 && ts < ds.interactions[k - 1].ts) violations++;
      if (lastTs.has(user) && ts <= (lastTs.get(user) as number)) violations++;
      lastTs.set(user, ts);
      const seen = items.get(user) ?? new Set<number>();
      if (seen.has(item)) violations++;
      items.set(user, seen.add(item));
    }
    expect(violations).toBe(0);
    const firstThousandUsers = new Set(ds.interactions.slice(0, 1000).map((x) => x.user));
    expect(firstThousandUsers.size).toBeGreaterThan(10);
  });

  it('skews popularity: the top 10% of items get more than 30% of interactions', () => {
    const counts = new Array(ds.numItems).fill(0);
    for (const it of ds.interactions) counts[it.item]++;
    counts.sort((x, y) => y - x);
    const top = counts.slice(0, Math.ceil(ds.numItems / 10)).reduce((s, x) => s + x, 0);
    expect(top / ds.interactions.length).toBeGreaterThan(0.3);
  });

  it('makes regions non-IID: taste-cluster mix differs clearly between regions', () => {
    const C = ds.truth.regionClusterProb.length / 5;
    const hist = Array.from({ length: 5 }, () => new Array(C).fill(0));
    for (let u = 0; u < ds.numUsers; u++) hist[ds.truth.userRegion[u]][ds.truth.userCluster[u]]++;
    const dist = hist.map((h) => h.map((x) => x / h.reduce((s, y) => s + y, 0)));
    const tv = (p: number[], q: number[]): number => p.reduce((s, x, i) => s + Math.abs(x - q[i]), 0) / 2;
    for (let r = 1; r < 5; r++) expect(tv(dist[0], dist[r])).toBeGreaterThan(0.3);
    // and users do prefer items of their own cluster (chance would be 1/8)
    expect(clusterShare(ds, -Infinity, Infinity, 0)).toBeGreaterThan(0.3);
  });

  it('drift after driftAt moves users toward the next cluster’s items; without drift the mix stays', () => {
    const drifted = generateSynthetic({ seed: 7, driftAt: 0.5 });
    const t = drifted.truth.driftTs as number;
    expect(t).toBe(874_724_710 + Math.round(0.5 * 215 * 86_400));
    // same users, counts and times: only the items differ
    expect(drifted.interactions.map((x) => x.ts)).toEqual(ds.interactions.map((x) => x.ts));
    const before = clusterShare(drifted, -Infinity, t, 1);
    const after = clusterShare(drifted, t, Infinity, 1);
    expect(after - before).toBeGreaterThan(0.2);
    expect(clusterShare(drifted, t, Infinity, 0)).toBeLessThan(clusterShare(drifted, -Infinity, t, 0) - 0.2);
    expect(Math.abs(clusterShare(ds, t, Infinity, 1) - clusterShare(ds, -Infinity, t, 1))).toBeLessThan(0.05);
  });

  it('rejects invalid options with a DomainError', () => {
    expect(() => generateSynthetic({ numUsers: 0 })).toThrow(expect.objectContaining({ code: 'bad_options' }));
    expect(() => generateSynthetic({ driftAt: 2 })).toThrow(/driftAt/);
  });
});

describe('generateEventStream', () => {
  it('yields the generated interactions in time order with external ids and regions', () => {
    const opts = { seed: 3, numUsers: 30, numItems: 200, interactionsPerUser: 25 };
    const ds = generateSynthetic(opts);
    const events = [...generateEventStream(opts)];
    expect(events.map(({ user, item, ts }) => ({ user, item, ts }))).toEqual(ds.interactions);
    expect(events[0].userId).toBe(`u${events[0].user}`);
    expect(events[0].itemId).toBe(`i${events[0].item}`);
    expect(events[0].region).toBe(ds.userRegion[events[0].user]);
  });
});
