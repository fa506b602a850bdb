import { adagradLr, stepUserVector } from './adagrad-steps.js';
import type { LearnTarget, RowSink, StepInput } from './learn-target.js';
import { lossCoefficients } from './loss-coefficients.js';
import { addLowRankTranspose, userQueryInto } from './low-rank-adapter.js';
import { rowScore } from './weights.js';

/**
 * One SGD/Adagrad step of RecommenderModel.learnOne in plain JS (any weights). With the loss
 * coefficients c_x per scored item: ∂q = Σ c_x·E_x, ∂E_x = c_x·q, and through the adapter
 * (u = Bᵀm from the forward pass, v = Aᵀ∂q): ∂α = ∂q·m, ∂A = ∂q ⊗ u, ∂B = m ⊗ v,
 * ∂m = α·∂q + B·v, each history row getting ∂m / |history|. Touched rows only, row-wise Adagrad.
 *
 * @example
 * const step = new JsLearnStep(model, model.config.dim, rank, model.config.negatives);
 * const loss = step.run({ user, history: user.recent, pos: 42, w: 1, negs, nn }, null);
 */
export class JsLearnStep {
  private readonly q: Float32Array;
  private readonly m: Float32Array;
  private readonly dq: Float32Array;
  private readonly dm: Float32Array;
  private readonly grad: Float32Array;
  private readonly u: Float32Array;
  private readonly v: Float32Array;
  private readonly coef: Float64Array;

  constructor(
    private readonly t: LearnTarget,
    dim: number,
    private readonly rank: number,
    negatives: number,
  ) {
    [this.q, this.m, this.dq, this.dm, this.grad] = [0, 1, 2, 3, 4].map(() => new Float32Array(dim));
    this.u = new Float32Array(rank);
    this.v = new Float32Array(rank);
    this.coef = new Float64Array(negatives + 1);
  }

  /** Runs the step; returns the example's loss before it. */
  run(ex: StepInput, sink: RowSink | null): number {
    const { negs, nn, pos } = ex;
    const w = this.t.weights;
    const d = w.dim;
    const E = w.itemEmb;
    const q = userQueryInto(w, this.rank, ex.user.vec, ex.history, this.q, this.m, this.u);
    const c = this.coef;
    c[0] = rowScore(w, q, pos);
    for (let j = 0; j < nn; j++) c[1 + j] = rowScore(w, q, negs[j]);
    const loss = lossCoefficients(this.t.config, c, nn, ex.w);
    // ∂q is taken at the current point, before any row moves (a negative drawn twice counts
    // its old row twice); the kernel step does the same.
    const dq = this.dq;
    const posOff = pos * d;
    for (let k = 0; k < d; k++) dq[k] = c[0] * E[posOff + k];
    for (let j = 0; j < nn; j++) {
      const off = negs[j] * d;
      for (let k = 0; k < d; k++) dq[k] += c[1 + j] * E[off + k];
    }
    const grad = this.grad;
    for (let j = 0; j < nn; j++) {
      for (let k = 0; k < d; k++) grad[k] = c[1 + j] * q[k];
      this.stepItem(negs[j], c[1 + j], sink);
    }
    for (let k = 0; k < d; k++) grad[k] = c[0] * q[k];
    this.stepItem(pos, c[0], sink);
    this.stepAdapterAndHistory(ex.history, sink);
    stepUserVector(this.t.config, ex.user, dq);
    return loss;
  }

  /** Ascent step on item row `i` with gradient `this.grad` (+ bias grad), L2 and proximal pull included. */
  private stepItem(i: number, gBias: number, sink: RowSink | null): void {
    const { config: cfg, weights, anchor: a } = this.t;
    const d = cfg.dim;
    const E = weights.itemEmb;
    const grad = this.grad;
    const off = i * d;
    const anchor = a && cfg.proxMu > 0 && i < a.numItems ? a : null;
    let sq = 0;
    for (let k = 0; k < d; k++) {
      let g = grad[k] - cfg.reg * E[off + k];
      if (anchor) g -= cfg.proxMu * (E[off + k] - anchor.itemEmb[off + k]);
      grad[k] = g;
      sq += g * g;
    }
    let gb = gBias - cfg.reg * weights.itemBias[i];
    if (anchor) gb -= cfg.proxMu * (weights.itemBias[i] - anchor.itemBias[i]);
    const lr = adagradLr(cfg, this.t.optimizer.itemAccum, i, (sq + gb * gb) / (d + 1));
    for (let k = 0; k < d; k++) E[off + k] += lr * grad[k];
    weights.itemBias[i] += lr * gb;
    this.t.tracker.touch(i);
    sink?.markRowDirty(i);
  }

  /** The adapter's step, then the history rows' (∂m / |history| each). */
  private stepAdapterAndHistory(history: ArrayLike<number>, sink: RowSink | null): void {
    const hl = history.length;
    if (hl === 0) return;
    const { config: cfg, weights, optimizer } = this.t;
    const d = cfg.dim;
    const r = this.rank;
    const W = weights.adapter;
    const E = weights.itemEmb;
    const { dq, m, dm } = this;
    const aIdx = 2 * d * r;
    const alpha = W[aIdx];
    let gAlpha = -cfg.regAdapter * (alpha - 1);
    for (let k = 0; k < d; k++) {
      dm[k] = alpha * dq[k];
      gAlpha += dq[k] * m[k];
    }
    W[aIdx] += adagradLr(cfg, optimizer.adapterAccum, 2, gAlpha * gAlpha) * gAlpha;
    this.t.tracker.touchAdapter();
    if (r > 0) {
      addLowRankTranspose(W, d, r, dq, dm, this.v); // uses A, B before their update; leaves v = Aᵀdq
      const { u, v } = this;
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
      const n = d * r;
      const lrA = adagradLr(cfg, optimizer.adapterAccum, 0, (dq2 * u2) / n);
      const lrB = adagradLr(cfg, optimizer.adapterAccum, 1, (m2 * v2) / n);
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
      const lr = adagradLr(cfg, optimizer.itemAccum, it, sq / d);
      const off = it * d;
      for (let k = 0; k < d; k++) E[off + k] += lr * dm[k];
      this.t.tracker.touch(it);
      sink?.markRowDirty(it);
    }
  }
}
