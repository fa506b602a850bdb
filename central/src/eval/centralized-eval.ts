import { ItemPopularityScorer, evaluateLoo, leaveOneOut, SeededRandom, type Dataset, type LooResult, type LooScorer, type LooSplit } from '@edgerec/services/data';
import { trainCentralized, type ModelConfig, type RecommenderModel, type UserState } from '@edgerec/services/model';

export interface CentralizedEvalOptions {
  negatives: number;
  seed: number;
  epochs: number;
  config: ModelConfig;
  onEpoch?: (epoch: number, epochs: number, loss: number) => void;
}

export interface EvalReport {
  'hr@10': number;
  'ndcg@10': number;
  'hr@10_full': number | null;
  'ndcg@10_full': number | null;
  'itempop_hr@10': number;
  'itempop_ndcg@10': number;
  users: number;
  train_interactions: number;
  seconds: number;
}

/** Adapts a trained model + its user states to the evaluator's scorer interface. */
export function modelScorer(model: RecommenderModel, users: UserState[]): LooScorer {
  return {
    scoreItems: (u, items, out) => model.scoreItems(users[u], items, out),
    scoreAll: (u, out) => model.scoreAll(users[u], out),
  };
}

export function toReport(res: LooResult, pop: LooResult, split: LooSplit, seconds: number): EvalReport {
  return {
    'hr@10': res.hr10,
    'ndcg@10': res.ndcg10,
    'hr@10_full': res.hr10Full,
    'ndcg@10_full': res.ndcg10Full,
    'itempop_hr@10': pop.hr10,
    'itempop_ndcg@10': pop.ndcg10,
    users: res.users,
    train_interactions: split.train.length,
    seconds,
  };
}

/**
 * Leave-one-out evaluation of the centrally trained recommender, next to the
 * item-popularity baseline on the same split.
 *
 * @example
 * const r = runCentralizedEval(ds, { negatives: 100, seed: 7, epochs: 20, config: defaultModelConfig() });
 * r['hr@10'];
 */
export function runCentralizedEval(ds: Dataset, opts: CentralizedEvalOptions, now: () => number = Date.now): EvalReport {
  const t0 = now();
  const split = leaveOneOut(ds, { negatives: opts.negatives, seed: opts.seed });
  const rng = new SeededRandom(opts.seed);
  const { model, users } = trainCentralized({ numItems: ds.numItems, sequences: split.trainByUser }, opts.config, {
    epochs: opts.epochs,
    rng: () => rng.nextFloat(),
    onEpoch: (e, loss) => opts.onEpoch?.(e, opts.epochs, loss),
  });
  const res = evaluateLoo(modelScorer(model, users), split);
  const pop = evaluateLoo(ItemPopularityScorer.fromSplit(split), split, { full: false });
  return toReport(res, pop, split, (now() - t0) / 1000);
}
