import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Dataset } from './dataset.js';
import { partitionByRegion, partitionByUser, partitionRandom, splitToEdges, userShard, type Partition } from './partition.js';

const users = (numUsers: number, userRegion?: string[]): Dataset => ({
  name: 'test',
  numUsers,
  numItems: 1,
  interactions: [],
  userIds: Array.from({ length: numUsers }, (_, u) => String(1000 + u)),
  itemIds: ['0'],
  userRegion,
});

/** Every user 0..n-1 appears exactly once across the lists. */
const coversOnce = (lists: number[][], n: number): boolean => {
  const all = lists.flat().sort((a, b) => a - b);
  return all.length === n && all.every((u, i) => u === i);
};

describe('partitionByRegion', () => {
  it('groups users by region label, labels sorted, users ascending', () => {
    const p = partitionByRegion(users(5, ['9', '0', '9', 'T', 'unknown']));
    expect([...p.keys()]).toEqual(['0', '9', 'T', 'unknown']);
    expect(p.get('9')).toEqual([0, 2]);
    expect(p.get('0')).toEqual([1]);
  });

  it('refuses a data set without regions', () => {
    expect(() => partitionByRegion(users(3))).toThrow(expect.objectContaining({ code: 'no_regions' }));
  });
});

describe('partitionRandom and partitionByUser', () => {
  it('put every user in exactly one of k parts; random parts are balanced', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 20 }), fc.nat(), (n, k, seed) => {
        const ds = users(n);
        const random = partitionRandom(ds, k, seed);
        const hashed = partitionByUser(ds, k);
        expect(random.size).toBe(k);
        expect(hashed.size).toBe(k);
        expect(coversOnce([...random.values()], n)).toBe(true);
        expect(coversOnce([...hashed.values()], n)).toBe(true);
        const sizes = [...random.values()].map((p) => p.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('random partition is reproducible for a seed and changes with it', () => {
    const ds = users(100);
    expect(partitionRandom(ds, 4, 1)).toEqual(partitionRandom(ds, 4, 1));
    expect(partitionRandom(ds, 4, 1)).not.toEqual(partitionRandom(ds, 4, 2));
  });

  it('hash partition follows the external id, not the dense index', () => {
    const ds = users(50);
    const p = partitionByUser(ds, 7);
    for (let u = 0; u < 50; u++) expect(p.get(`p${userShard(ds.userIds[u], 7)}`)).toContain(u);
    expect(userShard('196', 10)).toBe(userShard('196', 10));
  });

  it('rejects a non-positive k', () => {
    expect(() => partitionRandom(users(3), 0, 1)).toThrow(expect.objectContaining({ code: 'bad_partition' }));
  });
});

const partitionOfSizes = (sizes: number[]): { ds: Dataset; partition: Partition } => {
  const partition: Partition = new Map();
  let next = 0;
  sizes.forEach((s, i) => partition.set(`g${i}`, Array.from({ length: s }, () => next++)));
  return { ds: users(next), partition };
};

describe('splitToEdges', () => {
  it('merges the smallest parts onto the least-loaded edge when there are more parts than edges', () => {
    const { ds, partition } = partitionOfSizes([50, 30, 10, 5, 5]);
    const edges = splitToEdges(ds, partition, 3);
    expect(edges.map((e) => e.length)).toEqual([50, 30, 20]);
    expect(edges[2]).toEqual([80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99]);
  });

  it('halves the largest parts when there are fewer parts than edges', () => {
    const { ds, partition } = partitionOfSizes([60, 20]);
    const edges = splitToEdges(ds, partition, 4);
    expect(edges.map((e) => e.length).sort((a, b) => b - a)).toEqual([30, 20, 15, 15]);
  });

  it('always yields exactly numEdges non-empty edges covering every user once, parts kept whole or pure', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 16 }),
        (sizes, wanted) => {
          const { ds, partition } = partitionOfSizes(sizes);
          const numEdges = Math.min(wanted, ds.numUsers);
          const edges = splitToEdges(ds, partition, numEdges);
          expect(edges).toHaveLength(numEdges);
          expect(edges.every((e) => e.length > 0)).toBe(true);
          expect(coversOnce(edges, ds.numUsers)).toBe(true);
          const partOf = new Map<number, string>();
          for (const [key, us] of partition) for (const u of us) partOf.set(u, key);
          const edgeOf = new Map<number, number>();
          edges.forEach((e, i) => e.forEach((u) => edgeOf.set(u, i)));
          if (partition.size >= numEdges) {
            for (const us of partition.values()) expect(new Set(us.map((u) => edgeOf.get(u))).size).toBe(1);
          } else {
            for (const e of edges) expect(new Set(e.map((u) => partOf.get(u))).size).toBe(1);
          }
        },
      ),
    );
  });

  it('rejects more edges than users and users listed twice', () => {
    const { ds, partition } = partitionOfSizes([2, 1]);
    expect(() => splitToEdges(ds, partition, 4)).toThrow(/3 users cannot fill 4 edges/);
    partition.set('dup', [0]);
    expect(() => splitToEdges(ds, partition, 2)).toThrow(/more than one part/);
  });
});
