import { generateSynthetic } from '@edgerec/services/data';
import { defaultModelConfig } from '@edgerec/services/model';
import { runCentralizedEval } from '../src/eval/centralized-eval.js';
import { runFederatedEval } from '../src/eval/federated-eval.js';

export interface QualityBenchOptions {
  users?: number;
  items?: number;
  epochs?: number;
  seed?: number;
  /** federated configurations to run (default: the full grid below) */
  grid?: { partition: 'region' | 'random'; edges: number; compression: 'none' | 'int8' | 'topk' }[];
}

export interface QualityRow {
  mode: 'centralized' | 'federated';
  partition?: string;
  edges?: number;
  compression?: string;
  'hr@10': number;
  'ndcg@10': number;
  'hr@10_full': number | null;
  'ndcg@10_full': number | null;
  /** HR@10 relative to the centralized run of the same data and epochs */
  hr_vs_centralized: number;
  uplink_ratio?: number;
  bytes_up?: number;
  bytes_down?: number;
  seconds: number;
}

/** Region partition with 5/10/20 edges (top-k), and random with 10 edges across the three codecs. */
export const DEFAULT_QUALITY_GRID: NonNullable<QualityBenchOptions['grid']> = [
  { partition: 'region', edges: 5, compression: 'topk' },
  { partition: 'region', edges: 10, compression: 'topk' },
  { partition: 'region', edges: 20, compression: 'topk' },
  { partition: 'region', edges: 10, compression: 'none' },
  { partition: 'random', edges: 10, compression: 'none' },
  { partition: 'random', edges: 10, compression: 'int8' },
  { partition: 'random', edges: 10, compression: 'topk' },
];

const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;

/**
 * Recommendation quality, centralized vs federated (the real protocol over the in-memory
 * broker), on the synthetic generator: the baseline is the centralized run on the same split.
 *
 * @example
 * const { rows } = await runQualityBench({ users: 200, items: 400, epochs: 5 });
 */
export async function runQualityBench(opts: QualityBenchOptions = {}): Promise<{ rows: QualityRow[]; seconds: number }> {
  const t0 = performance.now();
  const seed = opts.seed ?? 7;
  const epochs = opts.epochs ?? 10;
  const ds = generateSynthetic({ seed, numUsers: opts.users ?? 943, numItems: opts.items ?? 1682 });
  const config = defaultModelConfig();
  const base = { negatives: 100, seed, epochs, config };
  const central = runCentralizedEval(ds, base);
  const rows: QualityRow[] = [
    {
      mode: 'centralized', 'hr@10': r4(central['hr@10']), 'ndcg@10': r4(central['ndcg@10']),
      'hr@10_full': central['hr@10_full'], 'ndcg@10_full': central['ndcg@10_full'], hr_vs_centralized: 1, seconds: central.seconds,
    },
  ];
  for (const g of opts.grid ?? DEFAULT_QUALITY_GRID) {
    const f = await runFederatedEval(ds, { ...base, ...g });
    rows.push({
      mode: 'federated', ...g, 'hr@10': r4(f['hr@10']), 'ndcg@10': r4(f['ndcg@10']),
      'hr@10_full': f['hr@10_full'], 'ndcg@10_full': f['ndcg@10_full'],
      hr_vs_centralized: r4(f['hr@10'] / Math.max(1e-9, central['hr@10'])),
      uplink_ratio: r4(f.uplink_ratio), bytes_up: f.bytes_up, bytes_down: f.bytes_down, seconds: f.seconds,
    });
  }
  return { rows, seconds: r4((performance.now() - t0) / 1000) };
}
