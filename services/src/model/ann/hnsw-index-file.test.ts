import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HierarchicalNSW } from 'hnswlib-node';
import { afterAll, describe, expect, it } from 'vitest';
import { gaussian, mulberry32 } from '../../common/seeded-rng.js';
import { createWeights, type ModelWeights } from '../weights.js';
import { HnswAnnIndex, hnswlibPath } from './hnsw-ann-index.js';
import { copyIndexRows, hnswLayout, mipsBound, writeMipsSlack, type HnswSpace } from './index-rows.js';

const dir = mkdtempSync(join(tmpdir(), 'hnsw-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function randomWeights(n: number, d: number, seed: number): { w: ModelWeights; queries: Float32Array[] } {
  const g = gaussian(mulberry32(seed));
  const w = createWeights(n, d);
  for (let i = 0; i < w.itemEmb.length; i++) w.itemEmb[i] = 0.1 * g();
  for (let i = 0; i < n; i++) w.itemBias[i] = 0.02 * g();
  const queries = Array.from({ length: 20 }, () => Float32Array.from({ length: d }, () => g()));
  return { w, queries };
}

const itemsOf = (index: HnswAnnIndex, q: Float32Array, k = 10) => index.search(q, k).map((s) => s.item);

describe('HnswAnnIndex files', () => {
  it('an index read back (async or sync) answers exactly as the one saved, removed rows included', async () => {
    const { w, queries } = randomWeights(800, 8, 1);
    const built = HnswAnnIndex.build(w, { m: 8, efConstruction: 50, efSearch: 100 });
    built.remove([3, 4]);
    const file = join(dir, 'round-trip.hnsw');
    const meta = built.save(file);
    expect(meta).toMatchObject({ space: 'l2-mips', dim: 8, count: 800, removed: [3, 4] });
    const loaded = await HnswAnnIndex.fromFile(file, w, meta, { efSearch: 100 });
    const loadedSync = HnswAnnIndex.fromFileSync(file, w, meta, { efSearch: 100 });
    expect(loaded.size).toBe(798);
    for (const q of queries) {
      expect(itemsOf(loaded, q)).toEqual(itemsOf(built, q));
      expect(itemsOf(loadedSync, q)).toEqual(itemsOf(built, q));
    }
    loaded.update(w, [3]); // a loaded index still takes updates
    expect(loaded.size).toBe(799);
  });

  it('refuses a file whose dim or row count does not fit the weights', async () => {
    const { w } = randomWeights(100, 4, 2);
    const file = join(dir, 'small.hnsw');
    const meta = HnswAnnIndex.build(w).save(file);
    await expect(HnswAnnIndex.fromFile(file, createWeights(100, 5), { ...meta })).rejects.toThrow(/dim/);
    expect(() => HnswAnnIndex.fromFileSync(file, createWeights(50, 4), meta)).toThrow(RangeError);
    await expect(HnswAnnIndex.fromFile(file, w, { ...meta, count: 90 })).rejects.toThrow(/holds 100 rows, its meta says 90/);
  });

  it.each(['l2-mips', 'ip'] as const)('%s: rows from copyIndexRows, inserted in order, give the very index build() makes', (space: HnswSpace) => {
    const { w, queries } = randomWeights(600, 6, 3);
    const { metric, stride } = hnswLayout(space, 6);
    const rows = new Float32Array(600 * stride);
    const norms = new Float64Array(600);
    const max = Math.max(copyIndexRows(w, 0, 250, rows, stride, norms), copyIndexRows(w, 250, 600, rows, stride, norms));
    const maxNorm2 = space === 'l2-mips' ? mipsBound(max) : 0;
    if (space === 'l2-mips') writeMipsSlack(rows, stride, norms, 0, 600, maxNorm2);
    const { HierarchicalNSW: Hnsw } = createRequire(import.meta.url)(hnswlibPath()) as { HierarchicalNSW: new (s: string, d: number) => HierarchicalNSW };
    const native = new Hnsw(metric, stride);
    native.initIndex({ maxElements: 660, m: 8, efConstruction: 40, randomSeed: 100 });
    for (let i = 0; i < 600; i++) native.addPoint(Array.from(rows.subarray(i * stride, (i + 1) * stride)), i);
    const file = join(dir, `rows-${space}.hnsw`);
    native.writeIndexSync(file);
    const fromRows = HnswAnnIndex.fromFileSync(file, w, { space, dim: 6, count: 600, maxNorm2 }, { efSearch: 20 });
    const reference = HnswAnnIndex.build(w, { space, m: 8, efConstruction: 40, efSearch: 20 });
    for (const q of queries) expect(fromRows.search(q, 10)).toEqual(reference.search(q, 10));
  });

  it('candidates are unscored labels, nearest first, none excluded, filled past the exclusion', () => {
    const { w, queries } = randomWeights(1000, 8, 4);
    const index = HnswAnnIndex.build(w, { efSearch: 200 });
    const q = queries[0];
    const top = index.candidates(q, 30);
    expect(top).toHaveLength(30);
    const exclude = new Set(top.slice(0, 25));
    const rest = index.candidates(q, 20, exclude);
    expect(rest).toHaveLength(20);
    for (const r of rest) expect(exclude.has(r)).toBe(false);
    expect(rest.slice(0, 5)).toEqual(top.slice(25));
  });
});
