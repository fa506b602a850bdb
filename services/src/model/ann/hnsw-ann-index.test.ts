import { describe, expect, it } from 'vitest';
import { gaussian, mulberry32 } from '../../common/seeded-rng.js';
import { selectTopK, type ScoredItem } from '../top-k.js';
import { createWeights, type ModelWeights } from '../weights.js';
import { measureRecall, type AnnIndex } from './ann-index.js';
import { HnswAnnIndex } from './hnsw-ann-index.js';

/** Clustered rows (as trained embeddings are) with small random biases. */
function clustered(n: number, d: number, seed: number): { w: ModelWeights; queries: Float32Array[] } {
  const rng = mulberry32(seed);
  const g = gaussian(rng);
  const centers = Array.from({ length: 16 }, () => Float32Array.from({ length: d }, () => g()));
  const w = createWeights(n, d);
  for (let i = 0; i < n; i++) {
    const c = centers[Math.floor(rng() * centers.length)];
    for (let k = 0; k < d; k++) w.itemEmb[i * d + k] = 0.1 * (c[k] + 0.5 * g());
    w.itemBias[i] = 0.05 * g();
  }
  const queries = Array.from({ length: 50 }, () => {
    const c = centers[Math.floor(rng() * centers.length)];
    return Float32Array.from({ length: d }, (_, k) => 0.1 * (c[k] + g()));
  });
  return { w, queries };
}

function exactScores(w: ModelWeights, q: ArrayLike<number>): Float64Array {
  const out = new Float64Array(w.numItems);
  for (let i = 0; i < w.numItems; i++) {
    let s = w.itemBias[i];
    for (let k = 0; k < w.dim; k++) s += w.itemEmb[i * w.dim + k] * q[k];
    out[i] = s;
  }
  return out;
}

const exactOf = (w: ModelWeights) => (q: ArrayLike<number>, k: number) => selectTopK(exactScores(w, q), k);

describe('HnswAnnIndex', () => {
  it('finds the exact top-10 by q·E_i + b_i with high recall, in both spaces', () => {
    const { w, queries } = clustered(2000, 8, 1);
    const ip = HnswAnnIndex.build(w, { efSearch: 200 });
    expect(ip.size).toBe(2000);
    expect(measureRecall(ip, exactOf(w), queries)).toBeGreaterThanOrEqual(0.95);
    const mips = HnswAnnIndex.build(w, { efSearch: 200, space: 'l2-mips' });
    expect(measureRecall(mips, exactOf(w), queries)).toBeGreaterThanOrEqual(0.98);
  });

  it('l2-mips counts rows updated past its norm bound (they need a rebuild)', () => {
    const { w } = clustered(200, 4, 6);
    const index = HnswAnnIndex.build(w, { space: 'l2-mips', normHeadroom: 1.2 });
    index.update(w, [5]);
    expect(index.normOverflows).toBe(0);
    for (let k = 0; k < 4; k++) w.itemEmb[5 * 4 + k] *= 100;
    index.update(w, [5]);
    expect(index.normOverflows).toBe(1);
  });

  it('folds the item bias in: returned scores are the model scores, a large bias wins', () => {
    const { w, queries } = clustered(500, 6, 2);
    w.itemBias[123] = 50;
    const index = HnswAnnIndex.build(w);
    const top = index.search(queries[0], 5);
    expect(top[0].item).toBe(123);
    const exact = exactScores(w, queries[0]);
    for (const s of top) expect(s.score).toBeCloseTo(exact[s.item], 4);
    expect(top.map((s) => s.score)).toEqual([...top.map((s) => s.score)].sort((a, b) => b - a));
  });

  it.each(['ip', 'l2-mips'] as const)('%s: sees updated, removed and appended rows without a rebuild', (space) => {
    const { w, queries } = clustered(1000, 8, 3);
    const index = HnswAnnIndex.build(w, { headroom: 0, space, normHeadroom: 100 });
    const q = queries[1];
    for (let k = 0; k < 8; k++) w.itemEmb[77 * 8 + k] = 3 * q[k]; // row 77 now aligns with q
    index.update(w, [77]);
    expect(index.search(q, 1)[0].item).toBe(77);
    index.remove([77]);
    expect(index.search(q, 10).map((s) => s.item)).not.toContain(77);
    expect(index.size).toBe(999);
    index.update(w, [77]);
    expect(index.search(q, 1)[0].item).toBe(77);

    const grown: ModelWeights = { ...createWeights(1002, 8), adapter: w.adapter };
    grown.itemEmb.set(w.itemEmb);
    grown.itemBias.set(w.itemBias);
    grown.itemBias[1001] = 5; // beats row 77, within the l2-mips norm bound
    index.update(grown, [1001]); // also indexes row 1000 on the way
    expect(index.size).toBe(1002);
    expect(index.search(q, 1)[0].item).toBe(1001);
    expect(() => index.update(grown, [1002])).toThrow(RangeError);
  });

  it('never returns excluded items and still fills k, also when the exclusion covers the true top', () => {
    const { w, queries } = clustered(1500, 8, 4);
    const index = HnswAnnIndex.build(w);
    const q = queries[2];
    const top30 = exactOf(w)(q, 30).map((s) => s.item);
    const asSet = new Set(top30.slice(0, 20));
    const noSize = { has: (i: number) => asSet.has(i) }; // size unknown: over-fetch by k, then the filter search
    for (const exclude of [asSet, noSize]) {
      const got = index.search(q, 10, exclude);
      expect(got).toHaveLength(10);
      for (const s of got) expect(asSet.has(s.item)).toBe(false);
      expect(got.filter((s) => top30.slice(20).includes(s.item)).length).toBeGreaterThanOrEqual(8);
    }
  });
});

describe('measureRecall', () => {
  it('is 1 for an exact index, 0 for disjoint results, and the overlap share in between', () => {
    const { w, queries } = clustered(300, 4, 5);
    const exact = exactOf(w);
    const fake = (shift: number): AnnIndex => ({
      size: 300, dim: 4, update: () => {}, remove: () => {},
      search: (q, k): ScoredItem[] => {
        const truth = exact(q, k);
        return truth.map((s, j) => (j < shift ? { item: -1 - j, score: 0 } : s));
      },
    });
    expect(measureRecall(fake(0), exact, queries)).toBe(1);
    expect(measureRecall(fake(10), exact, queries)).toBe(0);
    expect(measureRecall(fake(3), exact, queries)).toBeCloseTo(0.7, 10);
  });
});
