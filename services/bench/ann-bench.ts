import { pathToFileURL } from 'node:url';
import { gaussian, mulberry32 } from '../src/common/seeded-rng.js';
import { measureRecall } from '../src/model/ann/ann-index.js';
import { HnswAnnIndex, type HnswOptions } from '../src/model/ann/hnsw-ann-index.js';
import { simdScorerOf } from '../src/model/simd/simd-scorer.js';
import { allocateWeights } from '../src/model/simd/wasm-weights.js';
import type { ModelWeights } from '../src/model/weights.js';
import { round4, timeQueries, type Latency } from './latency-stats.js';

export interface AnnBenchOptions {
  items?: number;
  dim?: number;
  queries?: number;
  /** hnswlib M (default 16) */
  m?: number;
  efConstruction?: number;
  /** search-time ef values to sweep (default 32, 64, 128, 256, 512) */
  efs?: number[];
  spaces?: NonNullable<HnswOptions['space']>[];
  /** rows re-written (as online learning does) before the after-update recall (default 2000) */
  updates?: number;
  /** σ of the per-coordinate change of an updated row (rows are ~0.1 per coordinate; default 0.01) */
  updateStep?: number;
  seed?: number;
}

export interface AnnSpaceResult {
  build_s: number;
  by_ef: { ef: number; recall_at_10: number; latency: Latency }[];
  update: { rows: number; step: number; per_row_ms: number; ef: number; recall_at_10_before: number; recall_at_10_after: number; norm_overflows: number };
}

export interface AnnBenchResult {
  items: number;
  dim: number;
  data: string;
  /** exact top-10: the wasm SIMD scan + heap over the whole table */
  exact: Latency;
  spaces: Record<string, AnnSpaceResult>;
}

/** Rows around 256 Gaussian centres (trained embeddings cluster; uniform noise would be the worst case). */
export function clusteredWeights(items: number, dim: number, rng: () => number) {
  const g = gaussian(rng);
  const centers = Array.from({ length: 256 }, () => Float32Array.from({ length: dim }, () => g()));
  const w = allocateWeights(items, dim, 0);
  for (let i = 0; i < items; i++) {
    const c = centers[Math.floor(rng() * centers.length)];
    for (let k = 0; k < dim; k++) w.itemEmb[i * dim + k] = 0.1 * (c[k] + 0.5 * g());
    w.itemBias[i] = 0.05 * g();
  }
  const query = () => {
    const c = centers[Math.floor(rng() * centers.length)];
    return Float32Array.from({ length: dim }, (_, k) => 0.1 * (c[k] + g()));
  };
  return { w, query, g };
}

/**
 * ANN vs exact top-10 on a synthetic clustered catalog: build time, recall@10 and p50/p99
 * latency per search ef for each index space, then recall after `updates` rows were
 * rewritten in place (as the online learner does) and pushed with `index.update`.
 *
 * @example
 * const r = runAnnBench({ items: 200_000 });
 * r.spaces['l2-mips'].by_ef[1].recall_at_10; r.exact.p50_ms;
 */
export function runAnnBench(opts: AnnBenchOptions = {}): AnnBenchResult {
  const { items = 200_000, dim = 64, queries = 300, m = 16, efConstruction = 100, updates = 2000, updateStep = 0.01, seed = 7 } = opts;
  const efs = opts.efs ?? [32, 64, 128, 256, 512];
  const rng = mulberry32(seed);
  const { w, query, g } = clusteredWeights(items, dim, rng);
  const scorer = simdScorerOf(w);
  const exactSearch = (q: ArrayLike<number>, k: number) => (scorer ? scorer.topK(q, k) : []);
  if (!scorer) throw new Error('WebAssembly SIMD is not available: no exact reference');
  const qs = Array.from({ length: queries }, query);
  const exact = timeQueries(queries, (q) => exactSearch(qs[q], 10));

  const spaces: Record<string, AnnSpaceResult> = {};
  const original = { emb: w.itemEmb.slice(), bias: w.itemBias.slice() }; // every space starts from the same table
  for (const space of opts.spaces ?? (['ip', 'l2-mips'] as const)) {
    w.itemEmb.set(original.emb);
    w.itemBias.set(original.bias);
    const started = performance.now();
    const index = HnswAnnIndex.build(w, { space, m, efConstruction, seed });
    const buildS = round4((performance.now() - started) / 1000);
    const byEf = efs.map((ef) => {
      index.efSearch = ef;
      const recall = round4(measureRecall(index, exactSearch, qs));
      return { ef, recall_at_10: recall, latency: timeQueries(queries, (q) => index.search(qs[q], 10)) };
    });
    const rows = perturbRows(w, updates, updateStep, rng, g);
    const t0 = performance.now();
    index.update(w, rows);
    const perRow = (performance.now() - t0) / Math.max(1, rows.length);
    const ef = efs[Math.min(1, efs.length - 1)];
    index.efSearch = ef;
    const after = round4(measureRecall(index, exactSearch, qs));
    const before = byEf.find((e) => e.ef === ef)?.recall_at_10 ?? NaN;
    spaces[space] = {
      build_s: buildS, by_ef: byEf,
      update: {
        rows: rows.length, step: updateStep, per_row_ms: round4(perRow), ef,
        recall_at_10_before: before, recall_at_10_after: after, norm_overflows: index.normOverflows,
      },
    };
  }
  return { items, dim, data: 'clustered: 256 Gaussian centres (σ 0.1) + noise (σ 0.05), bias σ 0.05; queries near a centre', exact, spaces };
}

/** Moves `count` random rows by a Gaussian step of σ `step` per coordinate (drift between syncs); returns them. */
function perturbRows(w: ModelWeights, count: number, step: number, rng: () => number, g: () => number): Uint32Array {
  const rows = new Uint32Array(count);
  for (let j = 0; j < count; j++) {
    const i = Math.floor(rng() * w.numItems);
    rows[j] = i;
    for (let k = 0; k < w.dim; k++) w.itemEmb[i * w.dim + k] += step * g();
    w.itemBias[i] += step * g();
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const num = (name: string, dflt: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : dflt;
  };
  const spaceArg = process.argv.indexOf('--space');
  const r = runAnnBench({
    items: num('items', 200_000), dim: num('dim', 64), queries: num('queries', 300), m: num('m', 16),
    efConstruction: num('ef-construction', 100), updates: num('updates', 2000), updateStep: num('update-step', 0.01),
    ...(spaceArg > 0 ? { spaces: [process.argv[spaceArg + 1] as 'ip' | 'l2-mips'] } : {}),
  });
  process.stdout.write(`${JSON.stringify(r)}\n`);
}
