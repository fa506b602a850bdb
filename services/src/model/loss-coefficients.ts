import type { ModelConfig } from './model-config.js';

/**
 * Turns the scores of one example — `c[0]` the positive, `c[1..nn]` the sampled negatives —
 * into ascent coefficients `∂(−loss)/∂s` in place, scaled by the event weight `w`, and
 * returns the loss (BPR, BCE or sampled softmax with temperature, per `cfg.loss`).
 * With them ∂q = Σ c_x·E_x and ∂E_x = c_x·q.
 *
 * @example
 * const c = Float64Array.of(2.1, 0.3); // positive, one negative
 * const loss = lossCoefficients(cfg, c, 1, 1); // c[0] > 0, c[1] < 0
 */
export function lossCoefficients(cfg: ModelConfig, c: Float64Array, nn: number, w: number): number {
  const sPos = c[0];
  let loss = 0;
  if (cfg.loss === 'bpr') {
    let cPos = 0;
    for (let j = 1; j <= nn; j++) {
      const x = sPos - c[j];
      const g = w / (1 + Math.exp(x));
      loss += x > 30 ? 0 : Math.log1p(Math.exp(-x));
      cPos += g;
      c[j] = -g;
    }
    c[0] = cPos;
  } else if (cfg.loss === 'bce') {
    const sig = 1 / (1 + Math.exp(-sPos));
    c[0] = w * (1 - sig);
    loss -= Math.log(sig + 1e-12);
    for (let j = 1; j <= nn; j++) {
      const sj = 1 / (1 + Math.exp(-c[j]));
      loss -= Math.log(1 - sj + 1e-12);
      c[j] = -w * sj;
    }
  } else {
    // sampled softmax with temperature τ over [positive, negatives]
    const tau = cfg.temperature;
    let mx = sPos;
    for (let j = 1; j <= nn; j++) if (c[j] > mx) mx = c[j];
    let z = Math.exp((sPos - mx) / tau);
    const ePos = z;
    for (let j = 1; j <= nn; j++) {
      c[j] = Math.exp((c[j] - mx) / tau);
      z += c[j];
    }
    loss = -Math.log(ePos / z);
    c[0] = (w * (1 - ePos / z)) / tau;
    for (let j = 1; j <= nn; j++) c[j] = (-w * c[j]) / z / tau;
  }
  return loss;
}
