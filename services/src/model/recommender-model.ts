import { type ModelConfig, type Rng } from './model-config.js';
import { createUserState, type UserState } from './user-state.js';
import { adapterRankOf, cloneWeights, createWeights, rowScore, type ModelWeights } from './weights.js';
import { RowTracker } from './row-tracker.js';
import { selectTopK, type ScoredItem } from './top-k.js';
import { simdScorerOf } from './simd/simd-scorer.js';
import type { RerankDepth } from './simd/int8-quantizer.js';
import { LEARN_MAX_HISTORY } from './simd/learn-workspace.js';
import { resized } from '../common/typed-array-resize.js';
import { ACCUM_INIT, type OptimizerState } from './adagrad-steps.js';
import { addLowRankTranspose, userQueryInto } from './low-rank-adapter.js';
import { JsLearnStep } from './js-learn-step.js';
import { KernelLearnStep } from './kernel-learn-step.js';
import type { LearnTarget, StepInput } from './learn-target.js';

export type { OptimizerState } from './adagrad-steps.js';

/**
 * How `topK` scores a wasm-backed table: `exact` = f32 over every row; `int8` = int8 scan of
 * the whole table, exact f32 re-rank of the best candidates (SimdScorer.topKQuantized);
 * `auto` = int8 from INT8_TOPK_MIN_ITEMS items up, where it measured faster (scorer bench).
 */
export type TopKMode = 'auto' | 'exact' | 'int8';

/** Catalog size from which `auto` serves top-k through the int8 candidate pass. */
export const INT8_TOPK_MIN_ITEMS = 10_000;

/** One implicit-feedback training example. */
export interface LearnExample {
  user: UserState;
  item: number;
  /** event weight (purchase > click > view); scales the gradient */
  weight?: number;
  /** items that feed the adapter; defaults to `user.recent` */
  history?: ArrayLike<number>;
  /** items never to sample as negatives for this user (besides `item`) */
  seen?: { has(item: number): boolean };
}

/**
 * The edgerec recommender: item table E, item bias b, shared gated low-rank adapter
 * W = α·I + A·Bᵀ and private user vectors p_u. The user query is `q = p_u + W · mean(E[recent])`,
 * the score `q · E_i + b_i`.
 * Updates touch only the rows an example involves (positive, sampled negatives, history
 * rows, the user vector) plus the small adapter, with row-wise Adagrad.
 *
 * @example
 * const model = RecommenderModel.create(1682, defaultModelConfig(), rng);
 * const user = model.newUser(rng);
 * model.learnOne({ user, item: 42 }, rng);
 * const top = model.topK(user, 10, new Set(user.recent));
 */
export class RecommenderModel implements LearnTarget {
  weights: ModelWeights;
  readonly tracker: RowTracker;
  /** last global model for the proximal term (FedProx μ); null = no pull */
  anchor: ModelWeights | null = null;
  /** serving path of `topK` on wasm-backed weights (plain weights always use the JS loop) */
  topKMode: TopKMode = 'auto';
  /** re-rank depth of the int8 path */
  rerankDepth: RerankDepth = {};
  /** row-wise Adagrad accumulators of the item rows and of the adapter's A, B and α */
  readonly optimizer: OptimizerState;
  private readonly rank: number;
  /** scratch of userQuery (query, history mean, Bᵀm) and explain */
  private readonly q: Float32Array;
  private readonly m: Float32Array;
  private readonly u: Float32Array;
  private readonly v: Float32Array;
  private readonly t: Float32Array;
  private readonly negs: Int32Array;
  private readonly jsStep: JsLearnStep;
  private readonly kernelStep: KernelLearnStep;
  private scoreBuf: Float32Array;

  constructor(
    weights: ModelWeights,
    readonly config: ModelConfig,
  ) {
    if (weights.dim !== config.dim) throw new Error(`weights dim ${weights.dim} ≠ config dim ${config.dim}`);
    this.weights = weights;
    simdScorerOf(weights)?.markAllDirty(); // rows may have been written before: rebuild the int8 mirror
    this.tracker = new RowTracker(weights.numItems);
    this.optimizer = {
      itemAccum: new Float32Array(weights.numItems).fill(ACCUM_INIT),
      adapterAccum: new Float64Array([ACCUM_INIT, ACCUM_INIT, ACCUM_INIT]),
    };
    const d = weights.dim;
    this.rank = adapterRankOf(weights);
    if (this.rank !== config.adapterRank) throw new Error(`adapter rank ${this.rank} ≠ config ${config.adapterRank}`);
    this.q = new Float32Array(d);
    this.m = new Float32Array(d);
    this.v = new Float32Array(d);
    this.u = new Float32Array(this.rank);
    this.t = new Float32Array(this.rank);
    this.negs = new Int32Array(config.negatives);
    this.jsStep = new JsLearnStep(this, d, this.rank, config.negatives);
    this.kernelStep = new KernelLearnStep(this, config.negatives);
    this.scoreBuf = new Float32Array(weights.numItems);
  }

  /** Random item rows (uniform, std `initStd`), zero biases, W = 0 (α = 0, A = 0, B random as in LoRA): the model starts as plain MF and learns to use the history only where it helps. */
  static create(numItems: number, config: ModelConfig, rng: Rng): RecommenderModel {
    const w = createWeights(numItems, config.dim, config.adapterRank);
    const a = config.initStd * Math.sqrt(3);
    for (let i = 0; i < w.itemEmb.length; i++) w.itemEmb[i] = (rng() * 2 - 1) * a;
    const half = config.dim * config.adapterRank;
    for (let i = half; i < 2 * half; i++) w.adapter[i] = (rng() * 2 - 1) * a;
    w.adapter[2 * half] = 0;
    return new RecommenderModel(w, config);
  }

  /**
   * The row-wise Adagrad accumulators, by reference: an edge checkpoint persists them so a
   * restart keeps its step sizes and replayed events reproduce the state they made before.
   */
  optimizerState(): OptimizerState {
    return this.optimizer;
  }

  get numItems(): number {
    return this.weights.numItems;
  }

  newUser(rng: Rng): UserState {
    return createUserState(this.config.dim, rng, this.config.initStd);
  }

  getWeights(): ModelWeights {
    return cloneWeights(this.weights);
  }

  /** Replaces the shared weights (e.g. a new global model); optimizer state is kept when shapes match. */
  setWeights(w: ModelWeights): void {
    if (w.dim !== this.config.dim) throw new Error(`weights dim ${w.dim} ≠ config dim ${this.config.dim}`);
    if (adapterRankOf(w) !== this.rank) throw new Error(`adapter rank ${adapterRankOf(w)} ≠ ${this.rank}`);
    if (w.numItems !== this.weights.numItems) {
      this.optimizer.itemAccum = resized(this.optimizer.itemAccum, w.numItems, ACCUM_INIT);
      this.tracker.resize(w.numItems);
      this.scoreBuf = new Float32Array(w.numItems);
    }
    simdScorerOf(w)?.markAllDirty(); // whole-table install: the int8 mirror is rebuilt on its next use
    this.weights = w;
  }

  /** Writes `q = p_u + α·m + A·(Bᵀm)` with m = mean(E[history]) into `out` (m into `mOut`). */
  userQuery(user: UserState, history: ArrayLike<number> = user.recent, out = this.q, mOut = this.m): Float32Array {
    return userQueryInto(this.weights, this.rank, user.vec, history, out, mOut, this.u);
  }

  /** Score of one item for a precomputed query. */
  scoreWithQuery(q: Float32Array, item: number): number {
    return rowScore(this.weights, q, item);
  }

  /** Scores `items` for `user` into `out`. */
  scoreItems(user: UserState, items: ArrayLike<number>, out: Float32Array, history?: ArrayLike<number>): void {
    const q = this.userQuery(user, history);
    for (let j = 0; j < items.length; j++) out[j] = this.scoreWithQuery(q, items[j]);
  }

  /** Scores every item for `user` into `out` (length numItems). */
  scoreAll(user: UserState, out: Float32Array, history?: ArrayLike<number>): void {
    this.scoreAllWithQuery(this.userQuery(user, history), out);
  }

  /** Blocked dense scoring: out = E · q + b. Four rows per pass keeps q in registers. */
  scoreAllWithQuery(q: Float32Array, out: Float32Array): void {
    const simd = simdScorerOf(this.weights); // wasm-backed table: f32x4 kernel, no copy of E
    if (simd) {
      out.set(simd.scoreAll(q));
      return;
    }
    const d = this.config.dim;
    const E = this.weights.itemEmb;
    const b = this.weights.itemBias;
    const n = this.weights.numItems;
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const o0 = i * d;
      const o1 = o0 + d;
      const o2 = o1 + d;
      const o3 = o2 + d;
      let s0 = b[i];
      let s1 = b[i + 1];
      let s2 = b[i + 2];
      let s3 = b[i + 3];
      for (let k = 0; k < d; k++) {
        const qk = q[k];
        s0 += E[o0 + k] * qk;
        s1 += E[o1 + k] * qk;
        s2 += E[o2 + k] * qk;
        s3 += E[o3 + k] * qk;
      }
      out[i] = s0;
      out[i + 1] = s1;
      out[i + 2] = s2;
      out[i + 3] = s3;
    }
    for (; i < n; i++) out[i] = this.scoreWithQuery(q, i);
  }

  /**
   * Top-k items for `user`, skipping `exclude` (already-seen items). On wasm-backed weights
   * `topKMode` picks exact f32 or the int8 candidate pass with exact re-rank (scores are exact
   * either way; the int8 pass may miss an item whose int8 score falls outside the candidates).
   */
  topK(user: UserState, k: number, exclude?: { has(item: number): boolean }, history?: ArrayLike<number>): ScoredItem[] {
    const simd = simdScorerOf(this.weights);
    if (simd) {
      const q = this.userQuery(user, history);
      const int8 = this.topKMode === 'int8' || (this.topKMode === 'auto' && simd.numItems >= INT8_TOPK_MIN_ITEMS);
      return int8 ? simd.topKQuantized(q, k, exclude, this.rerankDepth) : simd.topK(q, k, exclude); // exact: same result as the JS path
    }
    this.scoreAll(user, this.scoreBuf, history);
    return selectTopK(this.scoreBuf, k, exclude);
  }

  /**
   * The history item that contributes most to `item`'s score through the adapter:
   * contribution(h) = E_h · (Wᵀ E_item) / |history|.
   */
  explain(user: UserState, item: number, history: ArrayLike<number> = user.recent): { item: number; contribution: number } | null {
    const hl = history.length;
    if (hl === 0) return null;
    const d = this.config.dim;
    const E = this.weights.itemEmb;
    // v = Wᵀ E_item = α·E_item + B·(Aᵀ E_item)
    const io = item * d;
    const v = this.v;
    const alpha = this.weights.adapter[2 * d * this.rank];
    for (let k = 0; k < d; k++) v[k] = alpha * E[io + k];
    addLowRankTranspose(this.weights.adapter, d, this.rank, E.subarray(io, io + d), v, this.t);
    let best = -1;
    let bestC = -Infinity;
    for (let h = 0; h < hl; h++) {
      const off = history[h] * d;
      let c = 0;
      for (let k = 0; k < d; k++) c += E[off + k] * v[k];
      if (c > bestC) {
        bestC = c;
        best = history[h];
      }
    }
    return { item: best, contribution: bestC / hl };
  }

  /**
   * One SGD/Adagrad step on a positive example with sampled negatives. Each loss yields a
   * coefficient c_x = ∂(−loss)/∂s_x per scored item; then ∂q = Σ c_x·E_x and ∂E_x = c_x·q.
   * Returns the example's loss before the update.
   */
  learnOne(ex: LearnExample, rng: Rng): number {
    const history = ex.history ?? ex.user.recent;
    const sink = simdScorerOf(this.weights);
    const input: StepInput = { user: ex.user, history, pos: ex.item, w: ex.weight ?? 1, negs: this.negs, nn: this.sampleNegatives(ex, rng) };
    const kernel = sink?.learner;
    const loss = sink && kernel && kernel.adapter === this.weights.adapter && this.kernelCanTake(ex.item, history)
      ? this.kernelStep.run(input, kernel, sink)
      : this.jsStep.run(input, sink);
    this.tracker.samples++;
    return loss;
  }

  /**
   * Whether the kernel may run this example: it addresses rows by raw offsets in the shared
   * memory, so an index past the table (a caller's bug the JS loop turns into NaN) must never
   * reach it — it would write into the bias or the int8 mirror.
   */
  private kernelCanTake(pos: number, history: ArrayLike<number>): boolean {
    const n = this.weights.numItems;
    if (!(pos >= 0 && pos < n) || history.length > LEARN_MAX_HISTORY) return false;
    for (let h = 0; h < history.length; h++) if (!(history[h] >= 0 && history[h] < n)) return false;
    return true;
  }

  /** Draws up to `negatives` items other than the positive (and, retrying, unseen ones) into `negs`; returns how many. */
  private sampleNegatives(ex: LearnExample, rng: Rng): number {
    const n = this.weights.numItems;
    const pos = ex.item;
    const negs = this.negs;
    let nn = 0;
    for (let s = 0; s < this.config.negatives; s++) {
      let neg = Math.floor(rng() * n);
      for (let tries = 0; tries < 10 && (neg === pos || ex.seen?.has(neg)); tries++) neg = Math.floor(rng() * n);
      if (neg !== pos) negs[nn++] = neg;
    }
    return nn;
  }
}
