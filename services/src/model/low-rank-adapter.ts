import type { ModelWeights } from './weights.js';

/**
 * Writes the user query `q = p + α·m + A·(Bᵀm)` into `out`, with m = mean(E[history]) into
 * `mOut` and u = Bᵀm into `uOut` (both reused by the learning step). W = [A | B | α] with
 * A, B row-major dim × rank. No history: q = p (m is zero, u untouched).
 *
 * @example
 * userQueryInto(model.weights, rank, user.vec, user.recent, q, m, u);
 */
export function userQueryInto(
  w: ModelWeights, rank: number, p: Float32Array, history: ArrayLike<number>, out: Float32Array, mOut: Float32Array, uOut: Float32Array,
): Float32Array {
  const d = w.dim;
  const r = rank;
  const E = w.itemEmb;
  const W = w.adapter;
  mOut.fill(0);
  const hl = history.length;
  for (let h = 0; h < hl; h++) {
    const off = history[h] * d;
    for (let k = 0; k < d; k++) mOut[k] += E[off + k];
  }
  if (hl === 0) {
    for (let k = 0; k < d; k++) out[k] = p[k];
    return out;
  }
  for (let k = 0; k < d; k++) mOut[k] /= hl;
  const u = uOut;
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

/**
 * `out += B·(Aᵀx)`: the low-rank part of Wᵀx, leaving `t = Aᵀx` (length rank) in `t`.
 *
 * @example
 * addLowRankTranspose(weights.adapter, dim, rank, dq, dm, v);
 */
export function addLowRankTranspose(W: Float32Array, d: number, r: number, x: ArrayLike<number>, out: Float32Array, t: Float32Array): void {
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
