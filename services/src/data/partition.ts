import { DomainError } from '@edgerec/proto-schemas';
import type { Dataset } from './dataset.js';
import { SeededRandom } from './seeded-random.js';

/** Partition label → dense user indices (ascending). Every user is in exactly one part. */
export type Partition = Map<string, number[]>;

/**
 * One part per region label (`ds.userRegion`), keys in sorted order: the realistic,
 * non-IID split (ml-100k: first zip digit, ~10 parts; synthetic: `r0…`).
 *
 * @example
 * partitionByRegion(ds).get('9'); // users with a 9xxxx zip code
 */
export function partitionByRegion(ds: Dataset): Partition {
  const regions = ds.userRegion;
  if (!regions || regions.length !== ds.numUsers) {
    throw new DomainError('no_regions', 400, `data set "${ds.name}" has no region per user; use a random partition`);
  }
  const parts = new Map<string, number[]>();
  for (const key of [...new Set(regions)].sort()) parts.set(key, []);
  for (let u = 0; u < ds.numUsers; u++) (parts.get(regions[u]) as number[]).push(u);
  return parts;
}

/**
 * `k` parts of equal size (±1) with users assigned at random (seeded): the IID baseline.
 * Parts are `p0…p{k-1}`.
 *
 * @example
 * partitionRandom(ds, 10, 7).size; // 10
 */
export function partitionRandom(ds: Dataset, k: number, seed: number): Partition {
  checkParts(k);
  const order = new SeededRandom(seed).shuffle(Uint32Array.from({ length: ds.numUsers }, (_, u) => u));
  const parts = emptyParts(k);
  for (let j = 0; j < order.length; j++) parts[j % k].push(order[j]);
  return toPartition(parts.map((p) => p.sort((a, b) => a - b)));
}

/**
 * `k` parts by a stable hash of the external user id (FNV-1a mod k) — what user-affinity
 * routing to edges does, so the same user always lands on the same part.
 *
 * @example
 * partitionByUser(ds, 4).get(`p${userShard(ds.userIds[0], 4)}`)?.includes(0); // true
 */
export function partitionByUser(ds: Dataset, k: number): Partition {
  checkParts(k);
  const parts = emptyParts(k);
  for (let u = 0; u < ds.numUsers; u++) parts[userShard(ds.userIds[u], k)].push(u);
  return toPartition(parts);
}

/**
 * Shard of an external user id among `k`: FNV-1a (32-bit) over its UTF-16 code units, mod k.
 *
 * @example
 * userShard('196', 10); // the same number on every machine and run
 */
export function userShard(userId: string, k: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < userId.length; i++) h = Math.imul(h ^ userId.charCodeAt(i), 0x01000193);
  return (h >>> 0) % k;
}

/**
 * Maps a partition onto exactly `numEdges` edges. More parts than edges: parts go, largest
 * first, to the least-loaded edge (so the smallest parts are merged). Fewer parts: the
 * largest group is halved (by user order) until there are enough, so each edge still
 * holds users of one part only. Result: `numEdges` ascending user lists.
 *
 * @example
 * splitToEdges(ds, partitionByRegion(ds), 3).length; // 3
 */
export function splitToEdges(ds: Dataset, partition: Partition, numEdges: number): number[][] {
  checkParts(numEdges, 'numEdges');
  const groups = [...partition.entries()]
    .map(([key, users]) => ({ key, users: [...users].sort((a, b) => a - b) }))
    .filter((g) => g.users.length > 0);
  const total = groups.reduce((s, g) => s + g.users.length, 0);
  const seen = new Uint8Array(ds.numUsers);
  for (const g of groups) {
    for (const u of g.users) {
      if (!Number.isInteger(u) || u < 0 || u >= ds.numUsers) {
        throw new DomainError('bad_partition', 400, `part "${g.key}" has user ${u}, not in 0..${ds.numUsers - 1}`);
      }
      if (seen[u]++ !== 0) throw new DomainError('bad_partition', 400, `user ${u} is in more than one part`);
    }
  }
  if (total < numEdges) throw new DomainError('bad_partition', 400, `${total} users cannot fill ${numEdges} edges`);
  const bySize = (a: { key: string; users: number[] }, b: { key: string; users: number[] }): number =>
    b.users.length - a.users.length || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  groups.sort(bySize);
  while (groups.length < numEdges) {
    const big = groups.shift() as { key: string; users: number[] };
    const half = Math.ceil(big.users.length / 2);
    groups.push({ key: `${big.key}/a`, users: big.users.slice(0, half) }, { key: `${big.key}/b`, users: big.users.slice(half) });
    groups.sort(bySize);
  }
  const edges: number[][] = emptyParts(numEdges);
  for (const g of groups) {
    let target = 0;
    for (let e = 1; e < numEdges; e++) if (edges[e].length < edges[target].length) target = e;
    for (const u of g.users) edges[target].push(u);
  }
  return edges.map((users) => users.sort((a, b) => a - b));
}

function checkParts(k: number, what = 'k'): void {
  if (!Number.isInteger(k) || k < 1) throw new DomainError('bad_partition', 400, `${what} must be a positive integer, got ${k}`);
}

const emptyParts = (k: number): number[][] => Array.from({ length: k }, () => []);

const toPartition = (parts: number[][]): Partition => new Map(parts.map((users, i) => [`p${i}`, users]));
