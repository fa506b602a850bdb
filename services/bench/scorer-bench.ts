import { pathToFileURL } from 'node:url';
import { mulberry32 } from '../src/common/seeded-rng.js';
import { defaultModelConfig } from '../src/model/model-config.js';
import { RecommenderModel } from '../src/model/recommender-model.js';
import { selectTopK } from '../src/model/top-k.js';
import { simdScorerOf } from '../src/model/simd/simd-scorer.js';
import { toWasmWeights } from '../src/model/simd/wasm-weights.js';
import { probeBandwidth, runNativeGemv, type BandwidthProbe, type NativeGemv } from './bandwidth-reference.js';
import { round4, timeQueries, type Latency } from './latency-stats.js';
import { runQuantizedScorerBench, type QuantizedBenchResult } from './quantized-scorer-bench.js';

export type { Latency };

export interface ScorerBenchOptions {
  items?: number;
  dim?: number;
  queries?: number;
  /** queries for the (slow) naive baseline; default min(queries, 30) */
  naiveQueries?: number;
  /** also compile and time native-gemv.c (default true) */
  native?: boolean;
  /** catalog sizes of the int8-vs-exact comparison (default [items]; [] skips it) */
  int8Items?: number[];
  seed?: number;
}

export interface ScorerBenchResult {
  items: number;
  dim: number;
  k: number;
  /** wasm f32x4 kernel over the wasm-backed table + wasm size-k heap (RecommenderModel.topK on wasm weights) */
  simd: Latency;
  /** the kernel alone (out = E·q + b), what a BLAS sgemv would do */
  simd_score_only: Latency;
  /** the scalar JS 4-row loop + heap (RecommenderModel.topK on plain weights) */
  js_loop: Latency;
  /** Array<Float32Array> rows, an object per item, full sort */
  naive: Latency;
  /** flat Float64Array GEMV + heap */
  flat_f64_reference: Latency;
  /** js_loop p50 / simd p50 */
  ratio_simd_vs_js: number;
  /** share of queries whose top-k is identical (items and order) between simd and js_loop */
  topk_agreement: number;
  blas_estimate: BandwidthProbe & {
    method: string;
    native_gemv: NativeGemv;
    /** the estimate of a BLAS sgemv: native_gemv p50 when it ran, else read_bound_ms */
    blas_ms: number;
    /** simd_score_only p50 / blas_ms (target ≤ 1.5) */
    simd_over_blas: number;
  };
  /** int8 scan + exact re-rank vs exact f32 top-10 per size: p50/p99, speedup, recall@10 (quantized-scorer-bench.ts) */
  int8_refine: QuantizedBenchResult[];
}

/**
 * Exact top-10 over `items × dim` random rows (uniform, seeded) for random queries: the
 * wasm SIMD path against the JS loop, a naive loop and a Float64 reference, all in one run,
 * plus the estimate of a BLAS sgemv (no BLAS here): a native AVX2/FMA GEMV compiled from
 * native-gemv.c, and the memory-bandwidth floor `bytes / read bandwidth`.
 *
 * @example
 * const r = runScorerBench({ items: 50_000, dim: 64, queries: 2000 });
 * r.simd.p50_ms; r.ratio_simd_vs_js; r.blas_estimate.simd_over_blas;
 */
export function runScorerBench(opts: ScorerBenchOptions = {}): ScorerBenchResult {
  const { items = 50_000, dim = 64, queries = 2000, seed = 7 } = opts;
  const k = 10;
  const rng = mulberry32(seed);
  const cfg = defaultModelConfig({ dim, adapterRank: 0 });
  const jsModel = RecommenderModel.create(items, cfg, rng);
  const w = jsModel.weights;
  for (let i = 0; i < items; i++) w.itemBias[i] = (rng() - 0.5) * 0.1;
  const simdModel = new RecommenderModel(toWasmWeights(w), cfg);
  const scorer = simdScorerOf(simdModel.weights);
  if (!scorer) throw new Error('WebAssembly SIMD is not available: nothing to compare');
  const qs = Array.from({ length: 256 }, () => Float32Array.from({ length: dim }, () => (rng() * 2 - 1) * 0.2));
  const seen = Array.from({ length: 256 }, () => new Set(Array.from({ length: 10 }, () => Math.floor(rng() * items))));
  const buf = new Float32Array(items);

  const simdTop: number[][] = [];
  const simd = timeQueries(queries, (q) => {
    const top = scorer.topK(qs[q & 255], k, seen[q & 255]);
    if (q < 50) simdTop.push(top.map((s) => s.item));
  });
  const simdScoreOnly = timeQueries(queries, (q) => scorer.scoreAll(qs[q & 255]));
  let agree = 0;
  const jsLoop = timeQueries(queries, (q) => {
    jsModel.scoreAllWithQuery(qs[q & 255], buf);
    const top = selectTopK(buf, k, seen[q & 255]).map((s) => s.item);
    if (q < simdTop.length && top.every((it, j) => it === simdTop[q][j])) agree++;
  });

  const rows = Array.from({ length: items }, (_, i) => w.itemEmb.slice(i * dim, (i + 1) * dim));
  const bias = Array.from(w.itemBias);
  const naive = timeQueries(opts.naiveQueries ?? Math.min(queries, 30), (q) => {
    const query = qs[q & 255];
    const scored: { item: number; score: number }[] = [];
    for (let i = 0; i < items; i++) {
      if (seen[q & 255].has(i)) continue;
      let s = bias[i];
      for (let j = 0; j < dim; j++) s += rows[i][j] * query[j];
      scored.push({ item: i, score: s });
    }
    scored.sort((a, b) => b.score - a.score);
    scored.length = k;
  });

  const E = Float64Array.from(w.itemEmb);
  const b = Float64Array.from(w.itemBias);
  const out = new Float64Array(items);
  const q64 = new Float64Array(dim);
  const flat = timeQueries(queries, (q) => {
    q64.set(qs[q & 255]);
    for (let i = 0, off = 0; i < items; i++, off += dim) {
      let s = b[i];
      for (let j = 0; j < dim; j++) s += E[off + j] * q64[j];
      out[i] = s;
    }
    selectTopK(out, k, seen[q & 255]);
  });

  const probe = probeBandwidth(items * dim * 4);
  const native: NativeGemv = opts.native === false ? { skipped: 'disabled' } : runNativeGemv(items, dim, queries);
  const blasMs = 'p50_ms' in native ? native.p50_ms : probe.read_bound_ms;
  return {
    items, dim, k,
    simd, simd_score_only: simdScoreOnly, js_loop: jsLoop, naive, flat_f64_reference: flat,
    ratio_simd_vs_js: round4(jsLoop.p50_ms / simd.p50_ms),
    topk_agreement: round4(agree / simdTop.length),
    blas_estimate: {
      method:
        'no BLAS here: sgemv is estimated by native-gemv.c (C, -O3 -march=native, 4 rows/pass AVX2 FMA, ' +
        'as OpenBLAS sgemv_t) timed on the same shape, with the memory floor bytes/read-bandwidth (native memcmp) beside it',
      ...probe,
      native_gemv: native,
      blas_ms: blasMs,
      simd_over_blas: round4(simdScoreOnly.p50_ms / blasMs),
    },
    int8_refine: (opts.int8Items ?? [items]).map((n) => runQuantizedScorerBench({ items: n, dim, queries, seed })),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const num = (name: string, dflt: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : dflt;
  };
  const list = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1].split(',').filter(Boolean).map(Number) : undefined;
  };
  const items = num('items', 50_000);
  const r = runScorerBench({ items, dim: num('dim', 64), queries: num('queries', 2000), int8Items: list('int8-items') ?? [items] });
  process.stdout.write(`${JSON.stringify(r)}\n`);
}
