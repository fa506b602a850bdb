import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RecommenderModel } from './recommender-model.js';
import { defaultModelConfig } from './model-config.js';
import { applyDelta, extractDelta } from './row-tracker.js';
import { selectTopK } from './top-k.js';
import { cloneWeights } from './weights.js';
import { trainCentralized } from './centralized-trainer.js';

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const cfg = defaultModelConfig({ dim: 8, adapterRank: 2, negatives: 2, historyLen: 3 });

describe('RecommenderModel', () => {
  it('raises the score of a positive item above unrelated items after learning', () => {
    const rng = mulberry32(1);
    const model = RecommenderModel.create(50, cfg, rng);
    const user = model.newUser(rng);
    user.recent = [1, 2, 3];
    for (let i = 0; i < 200; i++) model.learnOne({ user, item: 7 }, rng);
    const top = model.topK(user, 1);
    expect(top[0].item).toBe(7);
  });

  it('touches only the positive, sampled negatives and history rows', () => {
    const rng = mulberry32(2);
    const model = RecommenderModel.create(1000, cfg, rng);
    const before = cloneWeights(model.weights);
    const user = model.newUser(rng);
    user.recent = [10, 11];
    model.learnOne({ user, item: 5 }, rng);
    const touched = new Set(model.tracker.touchedRows());
    expect(touched.has(5) && touched.has(10) && touched.has(11)).toBe(true);
    expect(touched.size).toBeLessThanOrEqual(3 + cfg.negatives);
    const unchanged = (i: number): boolean =>
      model.weights.itemEmb.subarray(i * 8, i * 8 + 8).every((x, k) => x === before.itemEmb[i * 8 + k]);
    for (let i = 0; i < 1000; i++) if (!touched.has(i)) expect(unchanged(i)).toBe(true);
    expect(unchanged(5)).toBe(false);
  });

  it('extracted delta applied to the base reproduces the trained weights', () => {
    const rng = mulberry32(3);
    const model = RecommenderModel.create(40, cfg, rng);
    const base = cloneWeights(model.weights);
    const user = model.newUser(rng);
    for (let i = 0; i < 30; i++) {
      model.learnOne({ user, item: i % 40 }, rng);
      user.recent.push(i % 40);
    }
    const delta = extractDelta(model.weights, base, model.tracker);
    expect(delta.samples).toBe(30);
    expect(delta.adapter).not.toBeNull();
    const rebuilt = cloneWeights(base);
    applyDelta(rebuilt, delta);
    for (let i = 0; i < rebuilt.itemEmb.length; i++) expect(rebuilt.itemEmb[i]).toBeCloseTo(model.weights.itemEmb[i], 5);
    for (let i = 0; i < rebuilt.adapter.length; i++) expect(rebuilt.adapter[i]).toBeCloseTo(model.weights.adapter[i], 5);
  });

  it('proximal pull keeps rows closer to the anchor', () => {
    const drift = (mu: number): number => {
      const rng = mulberry32(4);
      const model = RecommenderModel.create(20, defaultModelConfig({ ...cfg, proxMu: mu }), rng);
      model.anchor = cloneWeights(model.weights);
      const user = model.newUser(rng);
      for (let i = 0; i < 300; i++) model.learnOne({ user, item: 3 }, rng);
      let s = 0;
      for (let k = 0; k < 8; k++) s += (model.weights.itemEmb[24 + k] - model.anchor.itemEmb[24 + k]) ** 2;
      return s;
    };
    expect(drift(5)).toBeLessThan(drift(0) * 0.5);
  });

  it('explains a recommendation by the history item with the largest contribution', () => {
    const rng = mulberry32(5);
    const model = RecommenderModel.create(30, cfg, rng);
    const user = model.newUser(rng);
    user.recent = [4, 9];
    const why = model.explain(user, 12);
    expect(why && [4, 9]).toContain(why?.item);
    expect(model.explain({ ...user, recent: [] }, 12)).toBeNull();
  });

  it('rejects weights of another adapter rank', () => {
    const rng = mulberry32(6);
    const a = RecommenderModel.create(10, cfg, rng);
    const b = RecommenderModel.create(10, defaultModelConfig({ ...cfg, adapterRank: 3 }), rng);
    expect(() => a.setWeights(b.getWeights())).toThrow(/adapter rank/);
  });
});

describe('selectTopK', () => {
  it('matches a full sort with exclusions', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ noNaN: true, min: -1e6, max: 1e6 }), { maxLength: 200 }), fc.integer({ min: 1, max: 20 }), (xs, k) => {
        const excl = new Set(xs.map((_, i) => i).filter((i) => i % 3 === 0));
        const got = selectTopK(Float32Array.from(xs), k, excl).map((s) => s.score);
        const want = Array.from(Float32Array.from(xs))
          .filter((_, i) => !excl.has(i))
          .sort((a, b) => b - a)
          .slice(0, k);
        expect(got).toEqual(want);
      }),
    );
  });
});

describe('trainCentralized', () => {
  it('learns planted co-occurrence structure better than popularity', () => {
    const rng = mulberry32(7);
    // two tastes: users 0..49 consume items 0..19, users 50..99 items 20..39; item 40..59 are popular noise
    const sequences = Array.from({ length: 100 }, (_, u) => {
      const base = u < 50 ? 0 : 20;
      const seq: number[] = [];
      for (let t = 0; t < 12; t++) seq.push(t % 3 === 2 ? 40 + Math.floor(rng() * 20) : base + Math.floor(rng() * 20));
      return seq;
    });
    const { model, users } = trainCentralized({ numItems: 60, sequences }, defaultModelConfig({ dim: 8, adapterRank: 2 }), { epochs: 15, rng });
    let inTaste = 0;
    for (let u = 0; u < 100; u++) {
      const top = model.topK(users[u], 5, new Set(sequences[u]));
      const base = u < 50 ? 0 : 20;
      inTaste += top.filter((s) => s.item >= base && s.item < base + 20).length;
    }
    expect(inTaste / 500).toBeGreaterThan(0.6);
  });
});
