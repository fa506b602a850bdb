import { adagradLr, stepUserVector } from './adagrad-steps.js';
import type { LearnTarget, RowSink, StepInput } from './learn-target.js';
import { lossCoefficients } from './loss-coefficients.js';
import type { LearnWorkspace } from './simd/learn-workspace.js';

/**
 * JsLearnStep's step on wasm-backed weights: the vector work — history mean, adapter
 * forward and backward, scores, ∂q, row and factor steps — runs in learn-kernel.wat (f32x4,
 * on the table in place, see LearnWorkspace); the scalar parts — loss coefficients, Adagrad
 * step sizes, the proximal pull, the user vector — stay in JS. Results differ from the JS
 * loop only by float rounding (f32 lanes instead of f64 sums); learn-kernel.test.ts holds
 * the two together. 3–4× faster than the JS loop at dim 64, rank 8 (docs/decisions.md §15).
 *
 * @example
 * const step = new KernelLearnStep(model, negatives);
 * step.run({ user, history, pos, w: 1, negs, nn }, simdScorerOf(model.weights)!.learner, scorer);
 */
export class KernelLearnStep {
  private readonly coef: Float64Array;

  constructor(
    private readonly t: LearnTarget,
    negatives: number,
  ) {
    this.coef = new Float64Array(negatives + 1);
  }

  /** Runs the step with kernel `k` (whose `adapter` must be the target's); returns the loss before it. */
  run(ex: StepInput, k: LearnWorkspace, sink: RowSink): number {
    const { negs, nn, pos, history } = ex;
    const hl = history.length;
    const items = k.items;
    items[0] = pos;
    for (let j = 0; j < nn; j++) items[1 + j] = negs[j];
    const hist = k.hist;
    for (let h = 0; h < hl; h++) hist[h] = history[h];
    const p = k.p;
    const vec = ex.user.vec;
    for (let i = 0; i < vec.length; i++) p[i] = vec[i]; // a loop: TypedArray#set across buffers costs more at this size
    k.forward(hl, 1 + nn);
    const c = this.coef;
    for (let j = 0; j <= nn; j++) c[j] = k.scores[j];
    const loss = lossCoefficients(this.t.config, c, nn, ex.w);
    for (let j = 0; j <= nn; j++) k.coefs[j] = c[j];
    k.combine(1 + nn); // ∂q at the current point, before any row moves
    for (let j = 0; j < nn; j++) this.stepItem(k, negs[j], c[1 + j], sink);
    this.stepItem(k, pos, c[0], sink);
    if (hl > 0) this.stepAdapterAndHistory(k, history, sink);
    stepUserVector(this.t.config, ex.user, k.dq);
    return loss;
  }

  /** g = c·q − reg·E_i (− μ·(E_i − anchor_i)), then E_i += lr·g. */
  private stepItem(k: LearnWorkspace, i: number, c: number, sink: RowSink): void {
    const { config: cfg, weights, anchor: a } = this.t;
    const d = cfg.dim;
    let sq = k.rowGrad(i, c, cfg.reg);
    let gb = c - cfg.reg * weights.itemBias[i];
    const anchor = a && cfg.proxMu > 0 && i < a.numItems ? a : null;
    if (anchor) {
      const E = weights.itemEmb;
      const g = k.g;
      const off = i * d;
      sq = 0;
      for (let t = 0; t < d; t++) {
        g[t] -= cfg.proxMu * (E[off + t] - anchor.itemEmb[off + t]);
        sq += g[t] * g[t];
      }
      gb -= cfg.proxMu * (weights.itemBias[i] - anchor.itemBias[i]);
    }
    const lr = adagradLr(cfg, this.t.optimizer.itemAccum, i, (sq + gb * gb) / (d + 1));
    k.stepRow(i, lr);
    weights.itemBias[i] += lr * gb;
    this.t.tracker.touch(i);
    sink.markRowDirty(i);
  }

  /** The adapter's step (m, u from the forward pass, ∂q from combine), then the history rows'. */
  private stepAdapterAndHistory(k: LearnWorkspace, history: ArrayLike<number>, sink: RowSink): void {
    const { config: cfg, weights, optimizer } = this.t;
    const d = cfg.dim;
    const rank = k.rank;
    const W = weights.adapter;
    const aIdx = 2 * d * rank;
    const alpha = W[aIdx];
    const gAlpha = -cfg.regAdapter * (alpha - 1) + k.dot('dq', 'm');
    k.backpropAdapter(alpha); // dm = α·dq + B·(Aᵀdq), with the factors before their step
    W[aIdx] += adagradLr(cfg, optimizer.adapterAccum, 2, gAlpha * gAlpha) * gAlpha;
    this.t.tracker.touchAdapter();
    if (rank > 0) {
      const n = d * rank;
      const lrA = adagradLr(cfg, optimizer.adapterAccum, 0, (k.dot('dq', 'dq') * k.dot('u', 'u')) / n);
      const lrB = adagradLr(cfg, optimizer.adapterAccum, 1, (k.dot('m', 'm') * k.dot('v', 'v')) / n);
      k.stepAdapterFactors(lrA, lrB, cfg.regAdapter);
    }
    if (!cfg.historyGrad) return;
    const hl = history.length;
    k.divideDm(hl);
    const meanSq = k.dot('dm', 'dm') / d;
    const lrs = k.lrs;
    for (let h = 0; h < hl; h++) {
      const it = history[h];
      lrs[h] = adagradLr(cfg, optimizer.itemAccum, it, meanSq);
      this.t.tracker.touch(it);
      sink.markRowDirty(it);
    }
    k.stepHistoryRows(hl);
  }
}
