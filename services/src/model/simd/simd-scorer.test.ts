import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mulberry32 } from '../../common/seeded-rng.js';
import { RecommenderModel } from '../recommender-model.js';
import { defaultModelConfig } from '../model-config.js';
import { cloneWeights, type ModelWeights } from '../weights.js';
import { SIMD_MAX_K, SimdScorer, simdScorerOf } from './simd-scorer.js';
import { allocateWeights, toWasmWeights } from './wasm-weights.js';
import { selectTopK } from '../top-k.js';

/** Wasm-backed weights filled by `value(index)`, plus a model over them and one over a plain copy. */
function twinModels(n: number, d: number, value: (rng: () => number) => number, seed: number) {
  const rng = mulberry32(seed);
  const w = allocateWeights(n, d, 1);
  for (let i = 0; i < w.itemEmb.length; i++) w.itemEmb[i] = value(rng);
  for (let i = 0; i < n; i++) w.itemBias[i] = value(rng);
  const cfg = defaultModelConfig({ dim: d, adapterRank: 1 });
  const q = Float32Array.from({ length: d }, () => value(rng));
  return { w, q, simd: new RecommenderModel(w, cfg), js: new RecommenderModel(cloneWeights(w), cfg) };
}

/** |Σ terms| error bound scale of a dot product: |b| + Σ|E_ik·q_k|. */
function magnitude(w: ModelWeights, q: Float32Array, i: number): number {
  let m = Math.abs(w.itemBias[i]);
  for (let k = 0; k < w.dim; k++) m += Math.abs(w.itemEmb[i * w.dim + k] * q[k]);
  return m;
}

const shape = { n: fc.integer({ min: 0, max: 37 }), d: fc.integer({ min: 2, max: 13 }), seed: fc.integer() };

describe('SimdScorer', () => {
  it('scores equal the JS loop within 1e-4 relative for any shape (dim % 4 ≠ 0, rows % 4 ≠ 0 included)', () => {
    fc.assert(
      fc.property(fc.record(shape), ({ n, d, seed }) => {
        const { w, q, simd, js } = twinModels(n, d, (r) => r() * 2 - 1, seed);
        expect(simdScorerOf(simd.weights)).not.toBeNull();
        expect(simdScorerOf(js.weights)).toBeNull();
        const a = new Float32Array(n);
        const b = new Float32Array(n);
        simd.scoreAllWithQuery(q, a);
        js.scoreAllWithQuery(q, b);
        for (let i = 0; i < n; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1e-4 * magnitude(w, q, i) + 1e-30);
      }),
      { numRuns: 200 },
    );
  });

  it('top-k is identical to the JS path on random data', () => {
    fc.assert(
      fc.property(fc.record(shape), fc.integer({ min: 1, max: 12 }), ({ n, d, seed }, k) => {
        const { simd, js } = twinModels(n, d, (r) => r() * 2 - 1, seed);
        const user = simd.newUser(mulberry32(seed ^ 1));
        user.recent = n > 0 ? [0, n - 1] : [];
        const exclude = new Set([Math.floor(n / 2)]);
        const pick = (m: RecommenderModel) => m.topK(user, k, exclude).map((s) => s.item);
        expect(pick(simd)).toEqual(pick(js));
      }),
      { numRuns: 200 },
    );
  });

  it('is exact, ties included, on values whose products and sums are exact in float32', () => {
    fc.assert(
      fc.property(fc.record(shape), ({ n, d, seed }) => {
        // multiples of 1/16 below 16: products and sums of ≤ 13 terms need < 24 mantissa bits
        const { q, simd, js } = twinModels(n, d, (r) => Math.floor(r() * 7 - 3) / 16, seed);
        const a = new Float32Array(n);
        const b = new Float32Array(n);
        simd.scoreAllWithQuery(q, a);
        js.scoreAllWithQuery(q, b);
        expect(Array.from(a)).toEqual(Array.from(b));
        const user = simd.newUser(mulberry32(seed));
        user.vec.set(q); // an exact query too (no history, so q = p_u)
        user.recent = [];
        expect(simd.topK(user, 5)).toEqual(js.topK(user, 5));
      }),
      { numRuns: 100 },
    );
  });

  it('wasm top-k equals selectTopK on the same scores: ties, ±Infinity, NaN, exclusions, any k', () => {
    const score = fc.oneof(
      fc.integer({ min: -3, max: 3 }), // many ties
      fc.constantFrom(Infinity, -Infinity, Number.NaN),
      fc.float({ noNaN: true }),
    );
    fc.assert(
      fc.property(
        fc.array(score, { maxLength: 60 }),
        fc.integer({ min: 0, max: 70 }),
        fc.uniqueArray(fc.integer({ min: -2, max: 65 }), { maxLength: 20 }),
        (values, k, excluded) => {
          // dim 1, E = 0, q = 1: the scores are exactly the biases
          const s = SimdScorer.create(values.length, 1);
          s.itemBias.set(values);
          const exclude = new Set(excluded);
          const scores = s.scoreAll([1]).slice();
          expect(s.topK([1], k, exclude)).toEqual(selectTopK(scores, k, exclude));
          expect(s.topK([1], k)).toEqual(selectTopK(scores, k));
          const notASet = { has: (i: number) => exclude.has(i) }; // falls back to selectTopK over the view
          expect(s.topK([1], k, notASet)).toEqual(selectTopK(scores, k, exclude));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('serves k above SIMD_MAX_K through selectTopK', () => {
    const s = SimdScorer.create(SIMD_MAX_K + 10, 1);
    s.itemBias.set(Array.from({ length: SIMD_MAX_K + 10 }, (_, i) => (i * 7919) % 1000));
    const top = s.topK([1], SIMD_MAX_K + 5);
    expect(top).toEqual(selectTopK(s.scoreAll([1]).slice(), SIMD_MAX_K + 5));
    expect(top).toHaveLength(SIMD_MAX_K + 5);
  });

  it('handles dim 1 and a table larger than one wasm page', () => {
    for (const [n, d] of [[9, 1], [5000, 7]]) {
      const s = SimdScorer.create(n, d);
      const rng = mulberry32(n);
      for (let i = 0; i < s.itemEmb.length; i++) s.itemEmb[i] = rng() - 0.5;
      for (let i = 0; i < n; i++) s.itemBias[i] = rng() - 0.5;
      const q = Float32Array.from({ length: d }, () => rng() - 0.5);
      const out = s.scoreAll(q);
      for (let i = 0; i < n; i++) {
        let ref = s.itemBias[i];
        for (let k = 0; k < d; k++) ref += s.itemEmb[i * d + k] * q[k];
        expect(out[i]).toBeCloseTo(ref, 5);
      }
    }
  });

  it('sees rows the learner writes through the views, without copies', () => {
    const { w, simd } = twinModels(40, 6, (r) => (r() - 0.5) * 0.1, 3);
    const rng = mulberry32(9);
    const user = simd.newUser(rng);
    user.recent = [1, 2];
    for (let s = 0; s < 200; s++) simd.learnOne({ user, item: 7 }, rng);
    expect(simdScorerOf(simd.weights)).not.toBeNull(); // still the same wasm-backed arrays
    const ref = new RecommenderModel(cloneWeights(w), simd.config);
    const [a, b] = [simd.topK(user, 3), ref.topK(user, 3)];
    expect(a.map((s) => s.item)).toEqual(b.map((s) => s.item));
    a.forEach((s, j) => expect(s.score).toBeCloseTo(b[j].score, 5));
    expect(simd.topK(user, 1)[0].item).toBe(7);
  });

  it('follows setWeights to a larger wasm-backed table and drops to JS for plain weights', () => {
    const { simd } = twinModels(10, 4, (r) => r() - 0.5, 4);
    const bigger = allocateWeights(12, 4, 1);
    bigger.itemBias[11] = 100;
    simd.setWeights(bigger);
    const user = simd.newUser(mulberry32(1));
    expect(simd.topK(user, 1)[0].item).toBe(11);
    simd.setWeights(cloneWeights(bigger));
    expect(simdScorerOf(simd.weights)).toBeNull();
    expect(simd.topK(user, 1)[0].item).toBe(11);
  });

  it('toWasmWeights copies values into independent wasm-backed arrays; simd: false gives plain arrays', () => {
    const src = allocateWeights(5, 3, 2, { simd: false });
    expect(simdScorerOf(src)).toBeNull();
    src.itemEmb.fill(0.5);
    src.itemBias[2] = 3;
    src.adapter[0] = 7;
    const w = toWasmWeights(src);
    expect(simdScorerOf(w)).not.toBeNull();
    expect(Array.from(w.itemEmb)).toEqual(Array.from(src.itemEmb));
    expect(w.itemBias[2]).toBe(3);
    expect(w.adapter[0]).toBe(7);
    w.itemEmb[0] = -1;
    expect(src.itemEmb[0]).toBe(0.5);
    expect(simdScorerOf({ ...w, itemEmb: w.itemEmb.slice() })).toBeNull(); // replaced arrays are not the wasm table
  });
});
