import { pathToFileURL } from 'node:url';
import { mulberry32 } from '../src/common/seeded-rng.js';
import { measureRecall } from '../src/model/ann/ann-index.js';
import { HnswAnnIndex } from '../src/model/ann/hnsw-ann-index.js';
import { simdScorerOf } from '../src/model/simd/simd-scorer.js';
import { clusteredWeights } from './ann-bench.js';
import { round4, timeQueries, type Latency } from './latency-stats.js';

export interface AnnScaleOptions {
  /** catalog sizes, built one after another (default 50k, 100k, 200k) */
  sizes?: number[];
  dim?: number;
  efs?: number[];
  queries?: number;
  /** stop before a size whose build is predicted (n·log n from the last one) to exceed this many seconds */
  maxBuildS?: number;
  /** HNSW graph degree and build beam (default 16, 100) */
  m?: number;
  efConstruction?: number;
  seed?: number;
}

export interface AnnScalePoint {
  items: number;
  build_s: number;
  /** build_s / (n · log2 n) × 1e6: flat when the build scales as n log n */
  build_us_per_nlogn: number;
  exact: Latency;
  int8_refine: Latency;
  by_ef: { ef: number; recall_at_10: number; latency: Latency }[];
}

export interface AnnScaleResult {
  dim: number;
  m: number;
  efConstruction: number;
  data: string;
  points: AnnScalePoint[];
  /** sizes not built because the predicted build time exceeded maxBuildS */
  skipped: { items: number; predicted_build_s: number }[];
}

/**
 * How the HNSW index (l2-mips, M 16 and efConstruction 100 unless given) scales with the catalog: build time
 * and recall@10 against the exact scan per efSearch, next to exact and int8 top-10 latency,
 * on clustered rows. A manual probe (minutes of CPU at 1M items): not part of any test or of
 * the default benches.
 *
 * @example
 * runAnnScaleProbe({ sizes: [100_000, 1_000_000], efs: [64, 256], maxBuildS: 600 });
 */
export function runAnnScaleProbe(opts: AnnScaleOptions = {}): AnnScaleResult {
  const { sizes = [50_000, 100_000, 200_000], dim = 64, efs = [64, 256], queries = 200, maxBuildS = 600, seed = 7 } = opts;
  const points: AnnScalePoint[] = [];
  const skipped: AnnScaleResult['skipped'] = [];
  const nlogn = (n: number) => n * Math.log2(n);
  for (const items of sizes) {
    const last = points.at(-1);
    const predicted = last ? (last.build_s * nlogn(items)) / nlogn(last.items) : 0;
    if (predicted > maxBuildS) {
      skipped.push({ items, predicted_build_s: round4(predicted) });
      continue;
    }
    const { w, query } = clusteredWeights(items, dim, mulberry32(seed));
    const scorer = simdScorerOf(w);
    if (!scorer) throw new Error('WebAssembly SIMD is not available: no exact reference');
    const qs = Array.from({ length: queries }, query);
    const t0 = performance.now();
    const index = HnswAnnIndex.build(w, { m: opts.m ?? 16, efConstruction: opts.efConstruction ?? 100 });
    const build_s = (performance.now() - t0) / 1000;
    const by_ef = efs.map((ef) => {
      index.efSearch = ef;
      return {
        ef,
        recall_at_10: round4(measureRecall(index, (q, k) => scorer.topK(q, k), qs)),
        latency: timeQueries(queries, (q) => index.search(qs[q], 10)),
      };
    });
    points.push({
      items, build_s: round4(build_s), build_us_per_nlogn: round4((build_s / nlogn(items)) * 1e6),
      exact: timeQueries(queries, (q) => scorer.topK(qs[q], 10)),
      int8_refine: timeQueries(queries, (q) => scorer.topKQuantized(qs[q], 10)),
      by_ef,
    });
  }
  return { dim, m: opts.m ?? 16, efConstruction: opts.efConstruction ?? 100, data: 'clustered: 256 Gaussian centres, rows 0.1·(c + 0.5·g), bias 0.05·g', points, skipped };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const nums = (s: string | undefined) => s?.split(',').map(Number);
  const r = runAnnScaleProbe({
    sizes: nums(arg('sizes')), efs: nums(arg('efs')), maxBuildS: Number(arg('max-build-s') ?? 600),
    m: arg('m') ? Number(arg('m')) : undefined, efConstruction: arg('ef-construction') ? Number(arg('ef-construction')) : undefined,
  });
  process.stdout.write(`${JSON.stringify(r)}\n`);
}
