import { gaussian, mulberry32 } from '../src/common/seeded-rng.js';
import type { ScoredItem } from '../src/model/top-k.js';
import { DEFAULT_MIN_CANDIDATES, DEFAULT_RERANK, candidateCount, type RerankDepth } from '../src/model/simd/int8-quantizer.js';
import { SIMD_MAX_K, SimdScorer } from '../src/model/simd/simd-scorer.js';
import { percentileOf, round4, type Latency } from './latency-stats.js';

export interface QuantizedBenchOptions {
  items?: number;
  dim?: number;
  /** timed queries per path (exact and int8 interleaved, order alternating) */
  queries?: number;
  /** rerank factors R whose recall@10 is measured (default 1, 1.5, 2, 4, 8, 16) */
  reranks?: number[];
  /** queries for the recall sweep (default 300) */
  recallQueries?: number;
  seed?: number;
}

export interface RerankRecall {
  rerank: number;
  /** candidates C re-scored in f32 for k = 10 */
  candidates: number;
  recall_at_10: number;
  /** share of queries whose top-10 equals the exact top-10 (items and order) */
  identical: number;
}

export interface QuantizedDataResult {
  data: string;
  by_rerank: RerankRecall[];
  /** smallest R of the sweep with recall@10 = 1 on these queries (null: none) */
  min_rerank_full_recall: number | null;
}

export interface QuantizedBenchResult {
  items: number;
  dim: number;
  k: number;
  /** the default depth: C = max(k·R, k + minCandidates) */
  rerank: number;
  min_candidates: number;
  candidates: number;
  /** exact f32 SIMD scan + size-k heap (SimdScorer.topK) */
  exact: Latency;
  /** int8 scan + C-heap + f32 re-score of C + k-heap (SimdScorer.topKQuantized), same queries, interleaved */
  int8_refine: Latency;
  speedup_p50: number;
  speedup_p99: number;
  /** recall@10 of the timed int8 queries against their exact top-10 */
  recall_at_10: number;
  /** full re-quantization of the table (install of a new model), ms */
  mirror_rebuild_ms: number;
  /** recall per R: uniform rows (as the scorer bench) and clustered rows (denser top scores) */
  recall: QuantizedDataResult[];
}

type Data = { fill(s: SimdScorer): void; query(): Float32Array };

/** Uniform rows as RecommenderModel.create draws them (std 0.05) with small biases. */
function uniformData(dim: number, rng: () => number): Data {
  const a = 0.05 * Math.sqrt(3);
  return {
    fill(s) {
      for (let i = 0; i < s.itemEmb.length; i++) s.itemEmb[i] = (rng() * 2 - 1) * a;
      for (let i = 0; i < s.numItems; i++) s.itemBias[i] = (rng() - 0.5) * 0.1;
    },
    query: () => Float32Array.from({ length: dim }, () => (rng() * 2 - 1) * 0.2),
  };
}

/** Rows around 256 Gaussian centres, queries near a centre: many near-equal top scores. */
function clusteredData(dim: number, rng: () => number): Data {
  const g = gaussian(rng);
  const centers = Array.from({ length: 256 }, () => Float32Array.from({ length: dim }, () => g()));
  const pick = () => centers[Math.floor(rng() * centers.length)];
  return {
    fill(s) {
      for (let i = 0; i < s.numItems; i++) {
        const c = pick();
        for (let k = 0; k < dim; k++) s.itemEmb[i * dim + k] = 0.1 * (c[k] + 0.5 * g());
        s.itemBias[i] = 0.05 * g();
      }
    },
    query: () => {
      const c = pick();
      return Float32Array.from({ length: dim }, (_, k) => 0.1 * (c[k] + g()));
    },
  };
}

const overlap = (a: ScoredItem[], b: ScoredItem[]) => a.filter((x) => b.some((y) => y.item === x.item)).length;

function recallSweep(s: SimdScorer, data: string, qs: Float32Array[], reranks: number[], k: number): QuantizedDataResult {
  const exact = qs.map((q) => s.topK(q, k));
  const by_rerank = reranks.map((rerank) => {
    const depth: RerankDepth = { rerank, minCandidates: 0 };
    let hits = 0;
    let identical = 0;
    qs.forEach((q, j) => {
      const top = s.topKQuantized(q, k, undefined, depth);
      hits += overlap(top, exact[j]);
      if (top.every((t, i) => t.item === exact[j][i]?.item) && top.length === exact[j].length) identical++;
    });
    return {
      rerank, candidates: candidateCount(k, s.numItems, SIMD_MAX_K, depth),
      recall_at_10: round4(hits / (qs.length * k)), identical: round4(identical / qs.length),
    };
  });
  const full = by_rerank.find((r) => r.recall_at_10 === 1);
  return { data, by_rerank, min_rerank_full_recall: full ? full.rerank : null };
}

/**
 * Exact f32 SIMD top-10 against the int8 scan + exact re-rank at the default depth, timed on
 * the same queries in one process (interleaved, alternating which runs first, so load on the
 * machine hits both alike), with recall@10 against exact, then a recall sweep over R on
 * uniform and on clustered rows (minCandidates 0 there, so R alone sets the depth).
 *
 * @example
 * const r = runQuantizedScorerBench({ items: 50_000, dim: 64 });
 * r.speedup_p50; r.recall_at_10; r.recall[1].min_rerank_full_recall;
 */
export function runQuantizedScorerBench(opts: QuantizedBenchOptions = {}): QuantizedBenchResult {
  const { items = 50_000, dim = 64, queries = 2000, recallQueries = 300, seed = 7 } = opts;
  const reranks = opts.reranks ?? [1, 1.5, 2, 4, 8, 16];
  const k = 10;
  const rng = mulberry32(seed);
  const s = SimdScorer.create(items, dim);
  const uniform = uniformData(dim, rng);
  uniform.fill(s);
  const rebuild: number[] = [];
  for (let r = 0; r < 5; r++) {
    s.markAllDirty();
    const t0 = performance.now();
    s.int8.refresh();
    rebuild.push(performance.now() - t0);
  }
  const qs = Array.from({ length: 256 }, uniform.query);
  const seen = Array.from({ length: 256 }, () => new Set(Array.from({ length: 10 }, () => Math.floor(rng() * items))));
  for (let q = 0; q < 50; q++) { s.topK(qs[q], k, seen[q]); s.topKQuantized(qs[q], k, seen[q]); } // warm-up (tier-up)
  const tExact = new Float64Array(queries);
  const tInt8 = new Float64Array(queries);
  let hits = 0;
  for (let q = 0; q < queries; q++) {
    const query = qs[q & 255];
    const ex = seen[q & 255];
    let exact: ScoredItem[] = [];
    let approx: ScoredItem[] = [];
    const runExact = () => { const t0 = performance.now(); exact = s.topK(query, k, ex); tExact[q] = performance.now() - t0; };
    const runInt8 = () => { const t0 = performance.now(); approx = s.topKQuantized(query, k, ex); tInt8[q] = performance.now() - t0; };
    if (q & 1) { runExact(); runInt8(); } else { runInt8(); runExact(); }
    hits += overlap(approx, exact);
  }
  const lat = (t: Float64Array): Latency => ({ p50_ms: round4(percentileOf(t, 0.5)), p99_ms: round4(percentileOf(t, 0.99)), queries });
  const exact = lat(tExact);
  const int8 = lat(tInt8);
  const recall = [recallSweep(s, 'uniform (model init, std 0.05)', Array.from({ length: recallQueries }, uniform.query), reranks, k)];
  const clustered = clusteredData(dim, rng);
  clustered.fill(s);
  s.markAllDirty();
  recall.push(recallSweep(s, 'clustered (256 Gaussian centres)', Array.from({ length: recallQueries }, clustered.query), reranks, k));
  return {
    items, dim, k, rerank: DEFAULT_RERANK, min_candidates: DEFAULT_MIN_CANDIDATES,
    candidates: candidateCount(k, items, SIMD_MAX_K),
    exact, int8_refine: int8,
    speedup_p50: round4(exact.p50_ms / int8.p50_ms), speedup_p99: round4(exact.p99_ms / int8.p99_ms),
    recall_at_10: round4(hits / (queries * k)),
    mirror_rebuild_ms: round4(percentileOf(Float64Array.from(rebuild), 0.5)),
    recall,
  };
}
