import type { SparseDelta } from '../model/weights.js';

/**
 * L2 norm over everything a delta changes: embedding rows, biases and adapter.
 *
 * @example
 * deltaNorm(delta); // √(Σ emb² + Σ bias² + Σ adapter²)
 */
export function deltaNorm(d: SparseDelta): number {
  let s = 0;
  for (let i = 0; i < d.emb.length; i++) s += d.emb[i] * d.emb[i];
  for (let i = 0; i < d.bias.length; i++) s += d.bias[i] * d.bias[i];
  if (d.adapter) for (let i = 0; i < d.adapter.length; i++) s += d.adapter[i] * d.adapter[i];
  return Math.sqrt(s);
}

/** A copy of `d` with every value multiplied by `factor` (counts unchanged). */
export function scaleDelta(d: SparseDelta, factor: number): SparseDelta {
  const mul = (a: Float32Array) => a.map((x) => x * factor);
  return { ...d, emb: mul(d.emb), bias: mul(d.bias), adapter: d.adapter && mul(d.adapter) };
}

/** Median of a list of numbers (mean of the two middle ones for even length; 0 when empty). */
export function median(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return 0;
  const s = Float64Array.from(values).sort();
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}
