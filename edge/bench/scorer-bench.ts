import { SeededRandom } from '@edgerec/services/data';
import { defaultModelConfig, INT8_TOPK_MIN_ITEMS, RecommenderModel, selectTopK, type UserState } from '@edgerec/services/model';
import { simdScorerOf, toWasmWeights } from '@edgerec/services/model/simd';
import { percentile, round3 } from './percentiles.js';

export interface ScorerBenchOptions {
  items: number;
  dim: number;
  queries: number;
  /** queries for the (slow) naive baseline; default min(queries, 60) */
  baselineQueries?: number;
  seed?: number;
}

export interface Latency {
  p50_ms: number;
  p99_ms: number;
  queries: number;
}

export interface ScorerBenchResult {
  scorer: Latency;
  baseline: Latency & { kind: string };
  flat_f64: Latency & { kind: string };
  /** naive p50 / scorer p50 */
  speedup_vs_naive: number;
  /** flat Float64 GEMV p50 / scorer p50 (> 1: ours is faster) */
  flat_f64_over_scorer: number;
  /** share of queries where the naive baseline returned the same top-10 */
  top10_agreement: number;
  blas: string;
  /** which scoring path `scorer` measured: f32 SIMD, int8 scan + exact re-rank (auto from INT8_TOPK_MIN_ITEMS), JS */
  kernel: 'wasm-simd' | 'wasm-simd-int8' | 'js-loop';
  /** the same top-10 with the exact f32 path forced (topKMode 'exact'), for the ratio */
  scorer_exact: Latency;
  /** scorer_exact p50 / scorer p50 */
  int8_speedup: number;
}

function timeQueries(n: number, run: (q: number) => void): Latency {
  const t = new Float64Array(n);
  for (let q = 0; q < n; q++) {
    const s = performance.now();
    run(q);
    t[q] = performance.now() - s;
  }
  return { p50_ms: round3(percentile(t, 0.5)), p99_ms: round3(percentile(t, 0.99)), queries: n };
}

/**
 * Exact top-10 latency of the model's scorer (blocked Float32 dot products + size-k heap,
 * seen items excluded) over many random users, against two references in the same run:
 * a naive loop (Array of Float32Array rows, one object per item, full sort) and a tight
 * flat Float64 GEMV + heap. A BLAS sgemv comparison needs numpy/OpenBLAS, which this
 * environment does not have; it is reported as not measured.
 *
 * @example
 * runScorerBench({ items: 50_000, dim: 64, queries: 300 }).scorer.p99_ms;
 */
export function runScorerBench(opts: ScorerBenchOptions): ScorerBenchResult {
  const { items, dim, queries } = opts;
  const rng = new SeededRandom(opts.seed ?? 7);
  const model = RecommenderModel.create(items, defaultModelConfig({ dim }), rng.nextFloat);
  model.setWeights(toWasmWeights(model.weights)); // serve as the edge does: table in wasm memory, SIMD kernel
  const w = model.weights;
  for (let i = 0; i < items; i++) w.itemBias[i] = (rng.nextFloat() - 0.5) * 0.1;
  w.adapter[w.adapter.length - 1] = 0.5; // history gate on, so the query costs what it does after training
  const users: { state: UserState; seen: Set<number> }[] = Array.from({ length: 256 }, () => {
    const state = model.newUser(rng.nextFloat);
    state.recent = Array.from({ length: 10 }, () => rng.nextInt(items));
    return { state, seen: new Set(state.recent) };
  });
  const ours: number[][] = [];
  const scorer = timeQueries(queries, (q) => {
    const u = users[q % users.length];
    const top = model.topK(u.state, 10, u.seen, u.state.recent);
    if (q < 20) ours.push(top.map((s) => s.item));
  });

  model.topKMode = 'exact';
  const scorerExact = timeQueries(queries, (q) => {
    const u = users[q % users.length];
    model.topK(u.state, 10, u.seen, u.state.recent);
  });
  model.topKMode = 'auto';

  const rows = Array.from({ length: items }, (_, i) => w.itemEmb.slice(i * dim, (i + 1) * dim));
  const bias = Array.from(w.itemBias);
  let agree = 0;
  const naiveQueries = opts.baselineQueries ?? Math.min(queries, 60);
  const baseline = timeQueries(naiveQueries, (q) => {
    const u = users[q % users.length];
    const query = model.userQuery(u.state, u.state.recent).slice();
    const scored: { item: number; score: number }[] = [];
    for (let i = 0; i < items; i++) {
      if (u.seen.has(i)) continue;
      const row = rows[i];
      let s = bias[i];
      for (let k = 0; k < dim; k++) s += row[k] * query[k];
      scored.push({ item: i, score: s });
    }
    scored.sort((a, b) => b.score - a.score);
    const top = scored.slice(0, 10).map((s) => s.item);
    if (q < ours.length && top.every((item, j) => item === ours[q][j])) agree++;
  });

  const E = Float64Array.from(w.itemEmb);
  const b = Float64Array.from(w.itemBias);
  const out = new Float64Array(items);
  const q64 = new Float64Array(dim);
  const flat = timeQueries(queries, (q) => {
    const u = users[q % users.length];
    q64.set(model.userQuery(u.state, u.state.recent));
    for (let i = 0, off = 0; i < items; i++, off += dim) {
      let s = b[i];
      for (let k = 0; k < dim; k++) s += E[off + k] * q64[k];
      out[i] = s;
    }
    selectTopK(out, 10, u.seen);
  });
  return {
    scorer,
    baseline: { ...baseline, kind: 'Array<Float32Array> rows, object per item, full sort' },
    flat_f64: { ...flat, kind: 'flat Float64Array GEMV + size-k heap' },
    speedup_vs_naive: round3(baseline.p50_ms / scorer.p50_ms),
    flat_f64_over_scorer: round3(flat.p50_ms / scorer.p50_ms),
    top10_agreement: round3(agree / Math.min(ours.length, naiveQueries)),
    kernel: !simdScorerOf(model.weights) ? 'js-loop' : items >= INT8_TOPK_MIN_ITEMS ? 'wasm-simd-int8' : 'wasm-simd',
    scorer_exact: scorerExact,
    int8_speedup: round3(scorerExact.p50_ms / scorer.p50_ms),
    blas: 'not measured here (no BLAS in this environment); services/bench/scorer-bench.ts estimates it (native AVX2 GEMV, memory bandwidth)',
  };
}
