import type { ModelConfig } from './model-config.js';
import type { UserState } from './user-state.js';

/** Initial value of the row-wise Adagrad accumulators: bounds the very first steps. */
export const ACCUM_INIT = 0.1;

/** Row-wise Adagrad state of the shared parameters (item rows; the adapter's A, B and α). */
export interface OptimizerState {
  itemAccum: Float32Array;
  adapterAccum: Float64Array;
}

/**
 * Step size of row (or adapter factor) `i` after adding a gradient of mean square `meanSq`
 * to its accumulator: `lr / √accum` for Adagrad (RMSProp-like when accumDecay < 1), `lr` for SGD.
 *
 * @example
 * const lr = adagradLr(cfg, opt.itemAccum, item, sq / dim);
 */
export function adagradLr(cfg: ModelConfig, accum: Float32Array | Float64Array, i: number, meanSq: number): number {
  if (cfg.optimizer !== 'adagrad') return cfg.lr;
  // A zero accumulator (fresh state, or restored as 0) with a zero gradient would make lr/√0 = ∞ and ∞·0 = NaN.
  accum[i] = (accum[i] || ACCUM_INIT) * cfg.accumDecay + meanSq;
  return cfg.lr / Math.sqrt(accum[i]);
}

/**
 * Ascent step on a private user vector with query gradient `dq` (overwritten with the
 * L2-regularized gradient); the user's own accumulator sets the step size.
 *
 * @example
 * stepUserVector(cfg, user, dq);
 */
export function stepUserVector(cfg: ModelConfig, user: UserState, dq: Float32Array): void {
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
