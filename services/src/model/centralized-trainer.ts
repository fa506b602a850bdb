import { type ModelConfig, type Rng } from './model-config.js';
import { RecommenderModel } from './recommender-model.js';
import type { UserState } from './user-state.js';

/** Per-user training sequences (dense item indices, oldest first). */
export interface TrainInput {
  numItems: number;
  sequences: ArrayLike<number>[];
}

export interface TrainOptions {
  epochs: number;
  rng: Rng;
  /** called after each epoch with the mean loss; return false to stop early */
  onEpoch?: (epoch: number, meanLoss: number) => boolean | void;
  /** start from an existing model (e.g. a global model on an edge) instead of a fresh one */
  model?: RecommenderModel;
  users?: UserState[];
}

export interface TrainResult {
  model: RecommenderModel;
  users: UserState[];
  examples: number;
}

/**
 * Trains the recommender on per-user sequences. Each example (u, t) learns item t from the
 * causal window of the `historyLen` items before it — the same representation serving uses
 * for the next item, which is what leave-one-out evaluates. Examples are shuffled each epoch.
 *
 * @example
 * const { model, users } = trainCentralized({ numItems, sequences }, defaultModelConfig(), { epochs: 20, rng });
 */
export function trainCentralized(input: TrainInput, config: ModelConfig, opts: TrainOptions): TrainResult {
  const { rng } = opts;
  const model = opts.model ?? RecommenderModel.create(input.numItems, config, rng);
  const users = opts.users ?? input.sequences.map(() => model.newUser(rng));
  const seqs = input.sequences.map((s) => Uint32Array.from(s as ArrayLike<number>));
  const seen = seqs.map((s) => new Set(s));
  let total = 0;
  for (const s of seqs) total += s.length;
  const order = new Uint32Array(total);
  const userOf = new Uint32Array(total);
  let p = 0;
  for (let u = 0; u < seqs.length; u++) {
    for (let t = 0; t < seqs[u].length; t++) {
      order[p] = p;
      userOf[p] = u;
      p++;
    }
  }
  const startOf = new Uint32Array(seqs.length);
  for (let u = 1; u < seqs.length; u++) startOf[u] = startOf[u - 1] + seqs[u - 1].length;
  const L = config.historyLen;
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    shuffle(order, rng);
    let loss = 0;
    for (let j = 0; j < total; j++) {
      const e = order[j];
      const u = userOf[e];
      const t = e - startOf[u];
      const seq = seqs[u];
      const history = seq.subarray(Math.max(0, t - L), t);
      loss += model.learnOne({ user: users[u], item: seq[t], history, seen: seen[u] }, rng);
    }
    if (opts.onEpoch?.(epoch, total ? loss / total : 0) === false) break;
  }
  for (let u = 0; u < seqs.length; u++) {
    const s = seqs[u];
    users[u].recent = Array.from(s.subarray(Math.max(0, s.length - L)));
  }
  return { model, users, examples: total };
}

function shuffle(a: Uint32Array, rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}
