import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { mulberry32 } from '../../common/seeded-rng.js';
import { defaultModelConfig } from '../model-config.js';
import { INT8_TOPK_MIN_ITEMS, RecommenderModel } from '../recommender-model.js';
import { applyDelta } from '../row-tracker.js';
import { cloneWeights, type ModelWeights, type SparseDelta } from '../weights.js';
import { markItemRowsWritten, SIMD_MAX_K, SimdScorer, simdScorerOf } from './simd-scorer.js';
import { allocateWeights, toWasmWeights } from './wasm-weights.js';

/** A scorer of n × d uniform [-1, 1) rows and small biases. */
function randomScorer(n: number, d: number, seed: number): { s: SimdScorer; rng: () => number } {
  const rng = mulberry32(seed);
  const s = SimdScorer.create(n, d);
  for (let i = 0; i < s.itemEmb.length; i++) s.itemEmb[i] = rng() * 2 - 1;
  for (let i = 0; i < n; i++) s.itemBias[i] = (rng() - 0.5) * 0.2;
  return { s, rng };
}

const randomQuery = (d: number, rng: () => number) => Float32Array.from({ length: d }, () => rng() * 2 - 1);

/** Rows whose values differ between `before` and `w` now. */
function changedRows(before: Float32Array, w: ModelWeights): number[] {
  const rows: number[] = [];
  for (let i = 0; i < w.numItems; i++) {
    for (let k = 0; k < w.dim; k++) {
      if (!Object.is(before[i * w.dim + k], w.itemEmb[i * w.dim + k])) {
        rows.push(i);
        break;
      }
    }
  }
  return rows;
}

describe('SimdScorer.topKQuantized', () => {
  it('equals the exact top-k, items and bit-identical scores, on random data (any shape, exclusions, k)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 20 }), fc.integer(),
        (n, d, k, seed) => {
          const { s, rng } = randomScorer(n, d, seed);
          for (let t = 0; t < 3; t++) {
            const q = randomQuery(d, rng);
            const seen = new Set(Array.from({ length: 12 }, () => Math.floor(rng() * (n + 2)) - 1));
            expect(s.topKQuantized(q, k, seen, { rerank: 16 })).toEqual(s.topK(q, k, seen));
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('re-ranks with the exact kernel: scores equal scoreAll bit for bit, also in the last n mod 4 rows and for dim mod 4 ≠ 0', () => {
    const { s, rng } = randomScorer(4099, 7, 11);
    const q = randomQuery(7, rng);
    const top = s.topKQuantized(q, 30, undefined, { rerank: 4 });
    const exact = s.scoreAll(q).slice();
    for (const { item, score } of top) expect(score).toBe(exact[item]);
    s.itemBias[4097] = 1e6; // a row in the scalar tail of the kernel wins; the bias is read live
    expect(s.topKQuantized(q, 1)[0]).toEqual({ item: 4097, score: s.scoreAll(q)[4097] });
  });

  it('falls back to the exact top-k where the int8 pass cannot serve', () => {
    const { s, rng } = randomScorer(3000, 8, 5);
    const q = randomQuery(8, rng);
    const seen = new Set([1, 2, 3]);
    const notASet = { has: (i: number) => seen.has(i) };
    expect(s.topKQuantized(q, 10, notASet)).toEqual(s.topK(q, 10, seen));
    expect(s.topKQuantized(q, SIMD_MAX_K, seen)).toEqual(s.topK(q, SIMD_MAX_K, seen)); // k·rerank > heap
    expect(s.topKQuantized(q, 0)).toEqual([]);
    const bad = q.slice();
    bad[3] = Number.NaN;
    expect(s.topKQuantized(bad, 5)).toEqual(s.topK(bad, 5));
    const small = randomScorer(40, 8, 6).s; // C ≥ n: the int8 pass would keep everything
    expect(small.topKQuantized(q, 5)).toEqual(small.topK(q, 5));
  });

  it('a row written without marking keeps its old int8 value and is missed; marking it fixes that', () => {
    const { s, rng } = randomScorer(20_000, 16, 3);
    const q = randomQuery(16, rng);
    s.topKQuantized(q, 10); // builds the mirror
    for (let k = 0; k < 16; k++) s.itemEmb[123 * 16 + k] = 2 * q[k] + (rng() - 0.5) * 0.01;
    for (let k = 0; k < 16; k++) s.itemEmb[77 * 16 + k] = -0.5 * q[k]; // a row that falls out of the top
    const exact = s.topK(q, 10);
    expect(exact[0].item).toBe(123);
    expect(s.topKQuantized(q, 10).map((r) => r.item)).not.toContain(123); // stale: the signal is what keeps it right
    s.markRowDirty(123);
    s.markRowDirty(77);
    expect(s.int8.refresh()).toBe(2);
    expect(s.topKQuantized(q, 10)).toEqual(exact);
  });

  it('rebuilds everything after markAllDirty', () => {
    const { s, rng } = randomScorer(5000, 8, 4);
    s.int8.refresh();
    for (let i = 0; i < s.itemEmb.length; i++) s.itemEmb[i] = rng() * 2 - 1;
    s.markAllDirty();
    expect(s.int8.refresh()).toBe(5000);
    const q = randomQuery(8, rng);
    expect(s.topKQuantized(q, 10)).toEqual(s.topK(q, 10));
    expect(s.int8.refresh()).toBe(0); // clean until the next write
  });
});

describe('every writer of item rows marks them for the int8 mirror', () => {
  const D = 16;
  const N = 12_000;
  const cfg = defaultModelConfig({ dim: D, adapterRank: 2, negatives: 4 });

  function servingModel(seed: number): { model: RecommenderModel; rng: () => number } {
    const rng = mulberry32(seed);
    const model = RecommenderModel.create(N, cfg, rng);
    model.setWeights(toWasmWeights(model.weights));
    for (let i = 0; i < N; i++) model.weights.itemBias[i] = (rng() - 0.5) * 0.02;
    return { model, rng };
  }

  /** After `write`, every changed row is stale, and the int8 top-k of random users equals the exact one. */
  function expectCovered(model: RecommenderModel, rng: () => number, write: () => void): number[] {
    const s = simdScorerOf(model.weights)!;
    s.int8.refresh();
    const before = model.weights.itemEmb.slice();
    write();
    const after = simdScorerOf(model.weights)!;
    const changed = changedRows(before, model.weights);
    expect(changed.filter((r) => !after.int8.stale.isStale(r))).toEqual([]);
    for (let t = 0; t < 5; t++) {
      const user = model.newUser(rng);
      user.recent = [Math.floor(rng() * N), Math.floor(rng() * N)];
      const q = model.userQuery(user).slice();
      expect(after.topKQuantized(q, 10)).toEqual(after.topK(q, 10));
    }
    return changed;
  }

  it('learnOne: the positive, the sampled negatives and the history rows', () => {
    const { model, rng } = servingModel(1);
    const user = model.newUser(rng);
    user.recent = [5, 6, 7];
    const changed = expectCovered(model, rng, () => {
      for (let s = 0; s < 50; s++) model.learnOne({ user, item: 42 }, rng);
    });
    expect(changed).toEqual(expect.arrayContaining([5, 6, 7, 42]));
    expect(changed.length).toBeGreaterThan(50); // negatives too
    expect(model.topK(user, 1)[0].item).toBe(42); // auto mode at 12 000 items: served by the int8 pass
  });

  it('applyDelta (uplink rebase, delta application) on wasm-backed weights', () => {
    const { model, rng } = servingModel(2);
    const rows = Uint32Array.from({ length: 300 }, () => Math.floor(rng() * N));
    const delta: SparseDelta = {
      dim: D, rows, emb: Float32Array.from({ length: rows.length * D }, () => (rng() - 0.5) * 4),
      bias: new Float32Array(rows.length), rowCounts: new Uint32Array(rows.length).fill(1), adapter: null, adapterCount: 0, samples: 1,
    };
    expect(expectCovered(model, rng, () => applyDelta(model.weights, delta)).length).toBeGreaterThan(250);
  });

  it('setWeights: a new wasm table is built fresh, the same table re-installed is rebuilt whole', () => {
    const { model, rng } = servingModel(3);
    const next = cloneWeights(model.weights);
    for (let i = 0; i < next.itemEmb.length; i++) next.itemEmb[i] = rng() - 0.5;
    expectCovered(model, rng, () => model.setWeights(toWasmWeights(next)));
    const w = model.weights;
    expectCovered(model, rng, () => {
      for (let i = 0; i < w.itemEmb.length; i += 3) w.itemEmb[i] = rng() - 0.5; // bulk write, then install
      model.setWeights(w);
    });
    expectCovered(model, rng, () => {
      w.itemEmb.fill(0.01, 0, 100 * D);
      void new RecommenderModel(w, cfg); // a model built over written weights marks them too
    });
  });

  it('markItemRowsWritten: listed rows, or all rows, for code that writes the views directly', () => {
    const { model, rng } = servingModel(4);
    const w = model.weights;
    const rows = [9, 99, 999];
    expectCovered(model, rng, () => {
      for (const r of rows) for (let k = 0; k < D; k++) w.itemEmb[r * D + k] = rng() * 4 - 2;
      markItemRowsWritten(w, rows);
    });
    expectCovered(model, rng, () => {
      w.itemEmb.fill(0.3, 500 * D, 700 * D);
      markItemRowsWritten(w);
    });
    markItemRowsWritten(allocateWeights(3, 2, 0, { simd: false })); // plain weights: nothing to do
  });

  it('a random sequence of writes through every path keeps the int8 top-k equal to the exact top-k', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('learn' as const), item: fc.nat(N - 1), steps: fc.integer({ min: 1, max: 30 }) }),
      fc.record({ kind: fc.constant('delta' as const), rows: fc.uniqueArray(fc.nat(N - 1), { minLength: 1, maxLength: 40 }) }),
      fc.record({ kind: fc.constant('direct' as const), rows: fc.uniqueArray(fc.nat(N - 1), { minLength: 1, maxLength: 40 }) }),
      fc.record({ kind: fc.constant('install' as const) }),
    );
    const { model, rng } = servingModel(5);
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 6 }), (ops) => {
        for (const o of ops) {
          expectCovered(model, rng, () => {
            const w = model.weights;
            const user = model.newUser(rng);
            user.recent = [Math.floor(rng() * N)];
            const q = model.userQuery(user);
            if (o.kind === 'learn') for (let s = 0; s < o.steps; s++) model.learnOne({ user, item: o.item }, rng);
            else if (o.kind === 'install') model.setWeights(toWasmWeights(cloneWeights(w)));
            else {
              // rows pushed onto the query's direction: a stale mirror would miss them
              const emb = new Float32Array(o.rows.length * D);
              o.rows.forEach((_, j) => { for (let k = 0; k < D; k++) emb[j * D + k] = 40 * q[k] * rng(); });
              if (o.kind === 'delta') {
                applyDelta(w, { dim: D, rows: Uint32Array.from(o.rows), emb, bias: new Float32Array(o.rows.length),
                  rowCounts: new Uint32Array(o.rows.length), adapter: null, adapterCount: 0, samples: 0 });
              } else {
                o.rows.forEach((r, j) => { for (let k = 0; k < D; k++) w.itemEmb[r * D + k] += emb[j * D + k]; });
                markItemRowsWritten(w, o.rows);
              }
            }
          });
        }
      }),
      { numRuns: 15 },
    );
  });
});

describe('RecommenderModel.topK serving mode', () => {
  const cfg = defaultModelConfig({ dim: 8, adapterRank: 1 });

  function modelOf(n: number): { model: RecommenderModel; spy: ReturnType<typeof vi.spyOn> } {
    const rng = mulberry32(n);
    const model = RecommenderModel.create(n, cfg, rng);
    model.setWeights(toWasmWeights(model.weights));
    return { model, spy: vi.spyOn(simdScorerOf(model.weights)!, 'topKQuantized') };
  }

  it('auto serves from the int8 pass from INT8_TOPK_MIN_ITEMS items up, exact below; exact and int8 force a path', () => {
    const big = modelOf(INT8_TOPK_MIN_ITEMS);
    const small = modelOf(INT8_TOPK_MIN_ITEMS - 1);
    const user = big.model.newUser(mulberry32(1));
    const seen = new Set([3, 4]);
    const exact = simdScorerOf(big.model.weights)!.topK(big.model.userQuery(user), 10, seen);
    expect(big.model.topK(user, 10, seen)).toEqual(exact);
    expect(big.spy).toHaveBeenCalledTimes(1);
    small.model.topK(user, 10, seen);
    expect(small.spy).not.toHaveBeenCalled();
    big.model.topKMode = 'exact';
    expect(big.model.topK(user, 10, seen)).toEqual(exact);
    expect(big.spy).toHaveBeenCalledTimes(1);
    small.model.topKMode = 'int8';
    small.model.rerankDepth = { rerank: 16 };
    small.model.topK(user, 10, seen);
    expect(small.spy).toHaveBeenCalledWith(expect.anything(), 10, seen, { rerank: 16 });
  });
});
