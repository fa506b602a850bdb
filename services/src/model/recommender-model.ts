import { type ModelConfig, type Rng } from './model-config.js';
import { createUserState, type UserState } from './user-state.js';
import { adapterRankOf, cloneWeights, createWeights, type ModelWeights } from './weights.js';
import { RowTracker } from './row-tracker.js';
import { selectTopK, type ScoredItem } from './top-k.js';
import { simdScorerOf, type SimdScorer } from './simd/simd-scorer.js';
import { LEARN_MAX_HISTORY, type LearnWorkspace } from './simd/learn-workspace.js';
import type { RerankDepth } from './simd/int8-quantizer.js';
import { resized } from '../common/typed-array-resize.js';

/** Initial value of the row-wise Adagrad accumulators: bounds the very first steps. */
const ACCUM_INIT = 0.1;

/**
 * How `topK` scores a wasm-backed table: `exact` = f32 over every row; `int8` = int8 scan of
 * the whole table, exact f32 re-rank of the best candidates (SimdScorer.topKQuantized);
 * `auto` = int8 from INT8_TOPK_MIN_ITEMS items up, where it measured faster (scorer bench).
 */
export type TopKMode = 'auto' | 'exact' | 'int8';

/** Catalog size from which `auto` serves top-k through the int8 candidate pass. */
export const INT8_TOPK_MIN_ITEMS = 10_000;

/** Row-wise Adagrad state of the shared parameters (item rows; the adapter's A, B and α). */
export interface OptimizerState {
  itemAccum: Float32Array;
  adapterAccum: Float64Array;
}

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
export class RecommenderModel {
  weights: ModelWeights;
  readonly tracker: RowTracker;
  /** last global model for the proximal term (FedProx μ); null = no pull */
  anchor: ModelWeights | null = null;
  /** serving path of `topK` on wasm-backed weights (plain weights always use the JS loop) */
  topKMode: TopKMode = 'auto';
  /** re-rank depth of the int8 path */
  rerankDepth: RerankDepth = {};
  /** the scorer whose int8 mirror must hear of the rows this learner writes (set per learnOne) */
  private rowSink: SimdScorer | null = null;
  private itemAccum: Float32Array;
  /** Adagrad accumulators of the adapter factors A, B and the gate α */
  private adapterAccum = new Float64Array([ACCUM_INIT, ACCUM_INIT, ACCUM_INIT]);
  private readonly rank: number;
  /** scratch: u = Bᵀm and v = Aᵀdq (length rank) */
  private readonly u: Float32Array;
  private readonly v: Float32Array;
  private readonly q: Float32Array;
  private readonly m: Float32Array;
  private readonly dq: Float32Array;
  private readonly dm: Float32Array;
  private readonly grad: Float32Array;
  private readonly negs: Int32Array;
  private readonly coef: Float64Array;
  private cPos = 0;
  private scoreBuf: Float32Array;

  constructor(
    weights: ModelWeights,
    readonly config: ModelConfig,
  ) {
    if (weights.dim !== config.dim) throw new Error(`weights dim ${weights.dim} ≠ config dim ${config.dim}`);
    this.weights = weights;
    simdScorerOf(weights)?.markAllDirty(); // rows may have been written before: rebuild the int8 mirror
    this.tracker = new RowTracker(weights.numItems);
    this.itemAccum = new Float32Array(weights.numItems).fill(ACCUM_INIT);
    const d = weights.dim;
    this.rank = adapterRankOf(weights);
    if (this.rank !== config.adapterRank) throw new Error(`adapter rank ${this.rank} ≠ config ${config.adapterRank}`);
    this.u = new Float32Array(this.rank);
    this.v = new Float32Array(this.rank);
    this.q = new Float32Array(d);
    this.m = new Float32Array(d);
    this.dq = new Float32Array(d);
    this.dm = new Float32Array(d);
    this.grad = new Float32Array(d);
    this.negs = new Int32Array(config.negatives);
    this.coef = new Float64Array(config.negatives);
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
    return { itemAccum: this.itemAccum, adapterAccum: this.adapterAccum };
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
      this.itemAccum = resized(this.itemAccum, w.numItems, ACCUM_INIT);
      this.tracker.resize(w.numItems);
      this.scoreBuf = new Float32Array(w.numItems);
    }
    simdScorerOf(w)?.markAllDirty(); // whole-table install: the int8 mirror is rebuilt on its next use
    this.weights = w;
  }

  /** Writes `q = p_u + α·m + A·(Bᵀm)` with m = mean(E[history]) into `out` (m into `mOut`). */
  userQuery(user: UserState, history: ArrayLike<number> = user.recent, out = this.q, mOut = this.m): Float32Array {
    const d = this.config.dim;
    const r = this.rank;
    const E = this.weights.itemEmb;
    const W = this.weights.adapter;
    mOut.fill(0);
    const hl = history.length;
    for (let h = 0; h < hl; h++) {
      const off = history[h] * d;
      for (let k = 0; k < d; k++) mOut[k] += E[off + k];
    }
    const p = user.vec;
    if (hl === 0) {
      for (let k = 0; k < d; k++) out[k] = p[k];
      return out;
    }
    for (let k = 0; k < d; k++) mOut[k] /= hl;
    const u = this.u;
    u.fill(0);
    const bOff = d * r;
    for (let k = 0; k < d; k++) {
      const mk = mOut[k];
      const row = bOff + k * r;
      for (let j = 0; j < r; j++) u[j] += W[row + j] * mk;
    }
    const alpha = W[2 * bOff];
    for (let k = 0; k < d; k++) {
      let s = p[k] + alpha * mOut[k];
      const row = k * r;
      for (let j = 0; j < r; j++) s += W[row + j] * u[j];
      out[k] = s;
    }
    return out;
  }

  /** Score of one item for a precomputed query. */
  scoreWithQuery(q: Float32Array, item: number): number {
    const d = this.config.dim;
    const E = this.weights.itemEmb;
    const off = item * d;
    let s = this.weights.itemBias[item];
    for (let k = 0; k < d; k++) s += q[k] * E[off + k];
    return s;
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
    const v = this.dm;
    const alpha = this.weights.adapter[2 * d * this.rank];
    for (let k = 0; k < d; k++) v[k] = alpha * E[io + k];
    this.addLowRankTranspose(E.subarray(io, io + d), v);
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
    const cfg = this.config;
    const d = cfg.dim;
    const E = this.weights.itemEmb;
    const history = ex.history ?? ex.user.recent;
    const w = ex.weight ?? 1;
    const pos = ex.item;
    this.rowSink = simdScorerOf(this.weights);
    const nn = this.sampleNegatives(ex, rng);
    const kernel = this.rowSink?.learner;
    if (kernel && kernel.adapter === this.weights.adapter && history.length <= LEARN_MAX_HISTORY) {
      return this.learnOneSimd(ex.user, history, pos, w, nn, kernel);
    }
    const negs = this.negs;
    const coef = this.coef;
    const q = this.userQuery(ex.user, history);
    const sPos = this.scoreWithQuery(q, pos);
    for (let j = 0; j < nn; j++) coef[j] = this.scoreWithQuery(q, negs[j]);
    const loss = this.lossCoefficients(sPos, nn, w);
    const dq = this.dq;
    const cPos = this.cPos;
    const posOff = pos * d;
    for (let k = 0; k < d; k++) dq[k] = cPos * E[posOff + k];
    // ∂q is taken at the current point, before any row moves (a negative drawn twice counts
    // its old row twice); the kernel path does the same.
    for (let j = 0; j < nn; j++) {
      const c = coef[j];
      const off = negs[j] * d;
      for (let k = 0; k < d; k++) dq[k] += c * E[off + k];
    }
    const grad = this.grad;
    for (let j = 0; j < nn; j++) {
      const c = coef[j];
      for (let k = 0; k < d; k++) grad[k] = c * q[k];
      this.stepItem(negs[j], grad, c);
    }
    for (let k = 0; k < d; k++) grad[k] = cPos * q[k];
    this.stepItem(pos, grad, cPos);
    this.stepAdapterAndHistory(dq, this.m, history);
    this.stepUser(ex.user, dq);
    this.tracker.samples++;
    return loss;
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

  /**
   * learnOne on wasm-backed weights: the same step, with the vector work in learn-kernel.wat
   * (f32x4, on the table in place). The scalar parts — loss coefficients, Adagrad step sizes,
   * the proximal pull, the user vector — stay here. Results differ from the JS loop only by
   * float rounding (f32 lanes instead of f64 sums).
   */
  private learnOneSimd(user: UserState, history: ArrayLike<number>, pos: number, w: number, nn: number, k: LearnWorkspace): number {
    const cfg = this.config;
    const hl = history.length;
    const items = k.items;
    items[0] = pos;
    for (let j = 0; j < nn; j++) items[1 + j] = this.negs[j];
    const hist = k.hist;
    for (let h = 0; h < hl; h++) hist[h] = history[h];
    k.p.set(user.vec);
    k.forward(hl, 1 + nn);
    const coef = this.coef;
    for (let j = 0; j < nn; j++) coef[j] = k.scores[1 + j];
    const loss = this.lossCoefficients(k.scores[0], nn, w);
    const cPos = this.cPos;
    k.coefs[0] = cPos;
    for (let j = 0; j < nn; j++) k.coefs[1 + j] = coef[j];
    k.combine(1 + nn);
    for (let j = 0; j < nn; j++) this.stepItemSimd(k, this.negs[j], coef[j]);
    this.stepItemSimd(k, pos, cPos);
    if (hl > 0) this.stepAdapterAndHistorySimd(k, hl, history);
    this.stepUser(user, k.dq);
    this.tracker.samples++;
    return loss;
  }

  /** stepItem on the kernel: g = c·q − reg·E_i (− μ·(E_i − anchor_i)), then E_i += lr·g. */
  private stepItemSimd(k: LearnWorkspace, i: number, c: number): void {
    const cfg = this.config;
    const d = cfg.dim;
    let sq = k.rowGrad(i, c, cfg.reg);
    let gb = c - cfg.reg * this.weights.itemBias[i];
    const anchor = this.anchor && cfg.proxMu > 0 && i < this.anchor.numItems ? this.anchor : null;
    if (anchor) {
      const E = this.weights.itemEmb;
      const g = k.g;
      const off = i * d;
      sq = 0;
      for (let t = 0; t < d; t++) {
        g[t] -= cfg.proxMu * (E[off + t] - anchor.itemEmb[off + t]);
        sq += g[t] * g[t];
      }
      gb -= cfg.proxMu * (this.weights.itemBias[i] - anchor.itemBias[i]);
    }
    const lr = this.rowLr(this.itemAccum, i, (sq + gb * gb) / (d + 1));
    k.stepRow(i, lr);
    this.weights.itemBias[i] += lr * gb;
    this.tracker.touch(i);
    this.rowSink?.markRowDirty(i);
  }

  /** stepAdapterAndHistory on the kernel (m, u from the forward pass, dq from combine). */
  private stepAdapterAndHistorySimd(k: LearnWorkspace, hl: number, history: ArrayLike<number>): void {
    const cfg = this.config;
    const d = cfg.dim;
    const W = this.weights.adapter;
    const aIdx = 2 * d * this.rank;
    const alpha = W[aIdx];
    const gAlpha = -cfg.regAdapter * (alpha - 1) + k.dot('dq', 'm');
    k.backpropAdapter(alpha); // dm = α·dq + B·(Aᵀdq), with the factors before their step
    W[aIdx] += this.adapterLr(2, gAlpha * gAlpha) * gAlpha;
    this.tracker.touchAdapter();
    if (this.rank > 0) {
      const n = d * this.rank;
      const lrA = this.adapterLr(0, (k.dot('dq', 'dq') * k.dot('u', 'u')) / n);
      const lrB = this.adapterLr(1, (k.dot('m', 'm') * k.dot('v', 'v')) / n);
      k.stepAdapterFactors(lrA, lrB, cfg.regAdapter);
    }
    if (!cfg.historyGrad) return;
    k.divideDm(hl);
    const meanSq = k.dot('dm', 'dm') / d;
    const lrs = k.lrs;
    for (let h = 0; h < hl; h++) {
      const it = history[h];
      lrs[h] = this.rowLr(this.itemAccum, it, meanSq);
      this.tracker.touch(it);
      this.rowSink?.markRowDirty(it);
    }
    k.stepHistoryRows(hl);
  }

  /**
   * Turns the scores (positive `sPos`, negatives in `coef[0..nn)`) into ascent coefficients:
   * `cPos` for the positive, `coef[j]` (overwritten) for the negatives. Returns the loss.
   */
  private lossCoefficients(sPos: number, nn: number, w: number): number {
    const coef = this.coef;
    let loss = 0;
    if (this.config.loss === 'bpr') {
      let cPos = 0;
      for (let j = 0; j < nn; j++) {
        const x = sPos - coef[j];
        const g = w / (1 + Math.exp(x));
        loss += x > 30 ? 0 : Math.log1p(Math.exp(-x));
        cPos += g;
        coef[j] = -g;
      }
      this.cPos = cPos;
    } else if (this.config.loss === 'bce') {
      const sig = 1 / (1 + Math.exp(-sPos));
      this.cPos = w * (1 - sig);
      loss -= Math.log(sig + 1e-12);
      for (let j = 0; j < nn; j++) {
        const sj = 1 / (1 + Math.exp(-coef[j]));
        loss -= Math.log(1 - sj + 1e-12);
        coef[j] = -w * sj;
      }
    } else {
      // sampled softmax with temperature τ over [positive, negatives]
      const tau = this.config.temperature;
      let mx = sPos;
      for (let j = 0; j < nn; j++) if (coef[j] > mx) mx = coef[j];
      let z = Math.exp((sPos - mx) / tau);
      const ePos = z;
      for (let j = 0; j < nn; j++) {
        coef[j] = Math.exp((coef[j] - mx) / tau);
        z += coef[j];
      }
      loss = -Math.log(ePos / z);
      this.cPos = (w * (1 - ePos / z)) / tau;
      for (let j = 0; j < nn; j++) coef[j] = (-w * coef[j]) / z / tau;
    }
    return loss;
  }

  /** Ascent step on item row `i` with gradient `grad` (+ bias grad), L2 and proximal pull included. */
  private stepItem(i: number, grad: Float32Array, gBias: number): void {
    const cfg = this.config;
    const d = cfg.dim;
    const E = this.weights.itemEmb;
    const off = i * d;
    const anchor = this.anchor && cfg.proxMu > 0 && i < this.anchor.numItems ? this.anchor : null;
    let sq = 0;
    for (let k = 0; k < d; k++) {
      let g = grad[k] - cfg.reg * E[off + k];
      if (anchor) g -= cfg.proxMu * (E[off + k] - anchor.itemEmb[off + k]);
      grad[k] = g;
      sq += g * g;
    }
    let gb = gBias - cfg.reg * this.weights.itemBias[i];
    if (anchor) gb -= cfg.proxMu * (this.weights.itemBias[i] - anchor.itemBias[i]);
    const lr = this.rowLr(this.itemAccum, i, (sq + gb * gb) / (d + 1));
    for (let k = 0; k < d; k++) E[off + k] += lr * grad[k];
    this.weights.itemBias[i] += lr * gb;
    this.tracker.touch(i);
    this.rowSink?.markRowDirty(i);
  }

  /** v += B·(Aᵀx): the low-rank part of Wᵀx. */
  private addLowRankTranspose(x: ArrayLike<number>, out: Float32Array): void {
    const d = this.config.dim;
    const r = this.rank;
    const W = this.weights.adapter;
    const t = this.v;
    t.fill(0);
    for (let k = 0; k < d; k++) {
      const xk = x[k];
      const row = k * r;
      for (let j = 0; j < r; j++) t[j] += W[row + j] * xk;
    }
    const bOff = d * r;
    for (let k = 0; k < d; k++) {
      let s = 0;
      const row = bOff + k * r;
      for (let j = 0; j < r; j++) s += W[row + j] * t[j];
      out[k] += s;
    }
  }

  /**
   * Adapter and history rows. With u = Bᵀm (from the forward pass) and v = Aᵀdq:
   * ∂α = dq·m, ∂A = dq ⊗ u, ∂B = m ⊗ v, ∂m = α·dq + B·v; each history row gets ∂m / |history|.
   */
  private stepAdapterAndHistory(dq: Float32Array, m: Float32Array, history: ArrayLike<number>): void {
    const hl = history.length;
    if (hl === 0) return;
    const cfg = this.config;
    const d = cfg.dim;
    const r = this.rank;
    const W = this.weights.adapter;
    const E = this.weights.itemEmb;
    const dm = this.dm;
    const aIdx = 2 * d * r;
    const alpha = W[aIdx];
    let gAlpha = -cfg.regAdapter * (alpha - 1);
    for (let k = 0; k < d; k++) {
      dm[k] = alpha * dq[k];
      gAlpha += dq[k] * m[k];
    }
    W[aIdx] += this.adapterLr(2, gAlpha * gAlpha) * gAlpha;
    this.tracker.touchAdapter();
    if (r > 0) {
      this.addLowRankTranspose(dq, dm); // uses A, B before their update; leaves v = Aᵀdq in this.v
      const u = this.u;
      const v = this.v;
      const bOff = d * r;
      const reg = cfg.regAdapter;
      // ‖dq ⊗ u‖² = ‖dq‖²·‖u‖² exactly; the small L2 term is left out of the Adagrad norm.
      let dq2 = 0;
      let m2 = 0;
      for (let k = 0; k < d; k++) {
        dq2 += dq[k] * dq[k];
        m2 += m[k] * m[k];
      }
      let u2 = 0;
      let v2 = 0;
      for (let j = 0; j < r; j++) {
        u2 += u[j] * u[j];
        v2 += v[j] * v[j];
      }
      const sqA = dq2 * u2;
      const sqB = m2 * v2;
      const n = d * r;
      const lrA = this.adapterLr(0, sqA / n);
      const lrB = this.adapterLr(1, sqB / n);
      for (let k = 0; k < d; k++) {
        const row = k * r;
        for (let j = 0; j < r; j++) {
          W[row + j] += lrA * (dq[k] * u[j] - reg * W[row + j]);
          W[bOff + row + j] += lrB * (m[k] * v[j] - reg * W[bOff + row + j]);
        }
      }
    }
    if (!cfg.historyGrad) return;
    let sq = 0;
    for (let k = 0; k < d; k++) {
      dm[k] /= hl;
      sq += dm[k] * dm[k];
    }
    for (let h = 0; h < hl; h++) {
      const it = history[h];
      const lr = this.rowLr(this.itemAccum, it, sq / d);
      const off = it * d;
      for (let k = 0; k < d; k++) E[off + k] += lr * dm[k];
      this.tracker.touch(it);
      this.rowSink?.markRowDirty(it);
    }
  }

  private adapterLr(which: 0 | 1 | 2, meanSq: number): number {
    if (this.config.optimizer !== 'adagrad') return this.config.lr;
    // A zero accumulator (fresh state) with a zero gradient would make lr/√0 = ∞ and ∞·0 = NaN.
    this.adapterAccum[which] = (this.adapterAccum[which] || ACCUM_INIT) * this.config.accumDecay + meanSq;
    return this.config.lr / Math.sqrt(this.adapterAccum[which]);
  }

  private stepUser(user: UserState, dq: Float32Array): void {
    const cfg = this.config;
    const d = cfg.dim;
    const p = user.vec;
    let sq = 0;
    for (let k = 0; k < d; k++) {
      const g = dq[k] - cfg.reg * p[k];
      dq[k] = g;
      sq += g * g;
    }
    let lr = cfg.lr;
    if (cfg.optimizer === 'adagrad') {
      user.accum = (user.accum || ACCUM_INIT) * cfg.accumDecay + sq / d;
      lr = cfg.lr / Math.sqrt(user.accum);
    }
    for (let k = 0; k < d; k++) p[k] += lr * dq[k];
  }

  private rowLr(accum: Float32Array, row: number, meanSq: number): number {
    if (this.config.optimizer !== 'adagrad') return this.config.lr;
    // Same guard: a zero accumulator (e.g. state restored as 0) and a zero gradient would give ∞·0 = NaN.
    accum[row] = (accum[row] || ACCUM_INIT) * this.config.accumDecay + meanSq;
    return this.config.lr / Math.sqrt(accum[row]);
  }
}
