import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { mulberry32 } from '../../common/seeded-rng.js';
import { RecommenderModel } from '../recommender-model.js';
import { defaultModelConfig, type ModelConfig } from '../model-config.js';
import { cloneWeights } from '../weights.js';
import type { UserState } from '../user-state.js';
import { simdScorerOf } from './simd-scorer.js';
import { allocateWeights, toWasmWeights } from './wasm-weights.js';

/** The same model twice: over plain arrays (JS loop) and over wasm memory (learn kernel). */
function twins(numItems: number, cfg: ModelConfig, seed: number) {
  const js = RecommenderModel.create(numItems, cfg, mulberry32(seed));
  for (let i = 0; i < numItems; i++) js.weights.itemBias[i] = (mulberry32(seed + i)() - 0.5) * 0.2;
  js.weights.adapter[2 * cfg.dim * cfg.adapterRank] = 0.3; // a non-zero gate, so every adapter path carries signal
  const simd = new RecommenderModel(toWasmWeights(js.weights), cfg);
  if (cfg.proxMu > 0) {
    const anchor = cloneWeights(js.weights);
    for (let i = 0; i < anchor.itemEmb.length; i++) anchor.itemEmb[i] += 0.05;
    js.anchor = anchor;
    simd.anchor = anchor;
  }
  return { js, simd };
}

const copyUser = (u: UserState): UserState => ({ vec: u.vec.slice(), accum: u.accum, recent: u.recent.slice() });

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Runs the same examples (same random streams) through both models; returns both users. */
function train(js: RecommenderModel, simd: RecommenderModel, steps: number, seed: number, historyLen: number) {
  const n = js.numItems;
  const pick = mulberry32(seed);
  const uj = js.newUser(mulberry32(seed + 1));
  const us = copyUser(uj);
  const losses: [number, number][] = [];
  for (let s = 0; s < steps; s++) {
    const item = Math.floor(pick() * n);
    const weight = 0.5 + pick() * 2;
    losses.push([
      js.learnOne({ user: uj, item, weight }, mulberry32(seed * 31 + s)),
      simd.learnOne({ user: us, item, weight }, mulberry32(seed * 31 + s)),
    ]);
    for (const u of [uj, us]) {
      u.recent.push(item);
      if (u.recent.length > historyLen) u.recent.shift();
    }
  }
  return { uj, us, losses };
}

describe('learn kernel (learnOne on wasm-backed weights)', () => {
  it('learns what the JS loop learns, up to float rounding, for any shape, loss and option', () => {
    fc.assert(
      fc.property(
        fc.record({
          dim: fc.integer({ min: 2, max: 19 }),
          rank: fc.integer({ min: 0, max: 6 }),
          loss: fc.constantFrom('bpr' as const, 'bce' as const, 'softmax' as const),
          optimizer: fc.constantFrom('adagrad' as const, 'sgd' as const),
          historyGrad: fc.boolean(),
          proxMu: fc.constantFrom(0, 0.3),
          historyLen: fc.integer({ min: 0, max: 9 }),
          negatives: fc.integer({ min: 1, max: 6 }),
          seed: fc.integer({ min: 1, max: 1e6 }),
        }),
        ({ dim, rank, seed, ...opts }) => {
          const cfg = defaultModelConfig({ dim, adapterRank: rank, lr: 0.05, ...opts });
          const { js, simd } = twins(400, cfg, seed);
          const forward = vi.spyOn(simdScorerOf(simd.weights)!.learner, 'forward');
          const { uj, us, losses } = train(js, simd, 30, seed, opts.historyLen);
          expect(forward).toHaveBeenCalledTimes(30); // every step took the kernel path
          for (const [a, b] of losses) expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-3 * (1 + Math.abs(a)));
          expect(maxAbsDiff(js.weights.itemEmb, simd.weights.itemEmb)).toBeLessThan(1e-3);
          expect(maxAbsDiff(js.weights.itemBias, simd.weights.itemBias)).toBeLessThan(1e-3);
          expect(maxAbsDiff(js.weights.adapter, simd.weights.adapter)).toBeLessThan(1e-3);
          expect(maxAbsDiff(uj.vec, us.vec)).toBeLessThan(1e-3);
          expect(Math.abs(uj.accum - us.accum)).toBeLessThanOrEqual(1e-3 * uj.accum);
          const trackedJs = Array.from(js.tracker.counts);
          expect(Array.from(simd.tracker.counts)).toEqual(trackedJs); // same rows touched, same number of times
          expect(simd.tracker.samples).toBe(js.tracker.samples);
        },
      ),
      { numRuns: 120 },
    );
  });

  it('moves the weights the way the JS loop does: the change, not just the state, agrees', () => {
    const cfg = defaultModelConfig({ dim: 64, adapterRank: 8 });
    const { js, simd } = twins(3000, cfg, 11);
    const before = cloneWeights(js.weights);
    train(js, simd, 500, 5, cfg.historyLen);
    let moved = 0;
    let diff = 0;
    for (let i = 0; i < before.itemEmb.length; i++) {
      moved += Math.abs(js.weights.itemEmb[i] - before.itemEmb[i]);
      diff += Math.abs(js.weights.itemEmb[i] - simd.weights.itemEmb[i]);
    }
    expect(moved).toBeGreaterThan(1); // the run learned something
    expect(diff / moved).toBeLessThan(1e-3); // and the kernel learned the same thing
  });

  it('falls back to the JS loop when the adapter is not the scorer view, with the same result', () => {
    const cfg = defaultModelConfig({ dim: 8, adapterRank: 2 });
    const { js, simd } = twins(50, cfg, 3);
    const swapped = new RecommenderModel({ ...simd.weights, adapter: simd.weights.adapter.slice() }, cfg);
    const forward = vi.spyOn(simdScorerOf(swapped.weights)!.learner, 'forward');
    const a = js.newUser(mulberry32(9));
    const b = copyUser(a);
    js.learnOne({ user: a, item: 4 }, mulberry32(1));
    swapped.learnOne({ user: b, item: 4 }, mulberry32(1));
    expect(forward).not.toHaveBeenCalled();
    expect(Array.from(b.vec)).toEqual(Array.from(a.vec)); // JS loop on both sides: bit-identical
  });

  it('never lets an index past the table reach the kernel (it would write outside the table)', () => {
    const cfg = defaultModelConfig({ dim: 8, adapterRank: 2, historyLen: 3 });
    const { simd } = twins(30, cfg, 6);
    const scorer = simdScorerOf(simd.weights)!;
    const forward = vi.spyOn(scorer.learner, 'forward');
    const user = simd.newUser(mulberry32(2));
    user.recent = [1, 30]; // 30 is one past the last row
    simd.learnOne({ user, item: 5 }, mulberry32(8));
    simd.learnOne({ user: simd.newUser(mulberry32(3)), item: 31 }, mulberry32(9));
    expect(forward).not.toHaveBeenCalled(); // both went to the JS loop
    user.recent = [1, 2];
    simd.learnOne({ user, item: 5 }, mulberry32(8));
    expect(forward).toHaveBeenCalledTimes(1); // in range: the kernel
  });

  it('marks every row it writes stale for the int8 mirror', () => {
    const cfg = defaultModelConfig({ dim: 8, adapterRank: 2, historyLen: 3 });
    const { simd } = twins(60, cfg, 4);
    const scorer = simdScorerOf(simd.weights)!;
    const marked = new Set<number>();
    vi.spyOn(scorer, 'markRowDirty').mockImplementation((row: number) => void marked.add(row));
    const before = simd.weights.itemEmb.slice();
    const user = simd.newUser(mulberry32(2));
    user.recent = [1, 2, 3];
    simd.learnOne({ user, item: 10 }, mulberry32(8));
    const written = new Set<number>();
    for (let i = 0; i < before.length; i++) if (before[i] !== simd.weights.itemEmb[i]) written.add(Math.floor(i / cfg.dim));
    expect(written.size).toBeGreaterThan(2);
    for (const row of written) expect(marked.has(row)).toBe(true);
  });
});

describe('wasm-backed weights', () => {
  it('allocateWeights puts the adapter in the scorer memory; toWasmWeights copies its values', () => {
    const w = allocateWeights(10, 6, 3);
    expect(simdScorerOf(w)!.learner.adapter).toBe(w.adapter);
    expect(w.adapter.length).toBe(2 * 6 * 3 + 1);
    const src = allocateWeights(10, 6, 3, { simd: false });
    src.adapter.forEach((_, i) => (src.adapter[i] = i / 10));
    const copy = toWasmWeights(src);
    expect(Array.from(copy.adapter)).toEqual(Array.from(src.adapter));
    expect(simdScorerOf(copy)!.learner.adapter).toBe(copy.adapter);
  });
});
