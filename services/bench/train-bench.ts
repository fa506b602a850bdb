import { generateSynthetic, leaveOneOut, SeededRandom } from '../src/data/index.js';
import { defaultModelConfig, trainCentralized, type ModelConfig } from '../src/model/index.js';

export interface TrainBenchOptions {
  epochs?: number;
  seed?: number;
  dim?: number;
  users?: number;
  items?: number;
}

export interface TrainBenchResult {
  events: number;
  /** the full model: BPR with sampled negatives, low-rank adapter over the recent history */
  events_per_s: number;
  /** plain BPR-MF (one negative, no history, SGD) on the same data in the same run */
  baseline: { events_per_s: number; name: string };
  ratio_vs_baseline: number;
  config: ModelConfig;
}

function timeTraining(sequences: Uint32Array[], numItems: number, config: ModelConfig, epochs: number, seed: number): number {
  const rng = new SeededRandom(seed);
  const t0 = performance.now();
  const { examples } = trainCentralized({ numItems, sequences }, config, { epochs, rng: rng.nextFloat });
  return (examples * epochs) / ((performance.now() - t0) / 1000);
}

/**
 * Training throughput in events/s on a synthetic ml-100k-sized data set, with plain BPR-MF
 * timed on the same data as the baseline.
 *
 * @example
 * const r = runTrainBench({ epochs: 2 }); r.events_per_s;
 */
export function runTrainBench(opts: TrainBenchOptions = {}): TrainBenchResult {
  const epochs = opts.epochs ?? 3;
  const seed = opts.seed ?? 7;
  const ds = generateSynthetic({ seed, numUsers: opts.users ?? 943, numItems: opts.items ?? 1682 });
  const split = leaveOneOut(ds, { negatives: 0, seed });
  const config = defaultModelConfig(opts.dim ? { dim: opts.dim } : {});
  const baselineCfg = defaultModelConfig({ dim: config.dim, negatives: 1, historyLen: 0, adapterRank: 0, optimizer: 'sgd' });
  const base = timeTraining(split.trainByUser, ds.numItems, baselineCfg, epochs, seed);
  const full = timeTraining(split.trainByUser, ds.numItems, config, epochs, seed);
  return {
    events: split.train.length * epochs,
    events_per_s: Math.round(full),
    baseline: { events_per_s: Math.round(base), name: 'bpr-mf (1 negative, no history, sgd)' },
    ratio_vs_baseline: +(full / base).toFixed(3),
    config,
  };
}
