import type { ModelWeights } from '../weights.js';

/** Which reduction an HNSW index uses (see HnswOptions.space). */
export type HnswSpace = 'ip' | 'l2-mips';

/** What the native index stores per row: its metric and the vector length. */
export interface HnswLayout {
  metric: 'ip' | 'l2';
  /** floats per row: dim + 1 (`[E_i, b_i]`) for ip, dim + 2 (`[E_i, b_i, slack]`) for l2-mips */
  stride: number;
}

/**
 * The native layout of `space` over `dim`-dimensional rows.
 *
 * @example
 * hnswLayout('l2-mips', 64); // { metric: 'l2', stride: 66 }
 */
export function hnswLayout(space: HnswSpace, dim: number): HnswLayout {
  return space === 'ip' ? { metric: 'ip', stride: dim + 1 } : { metric: 'l2', stride: dim + 2 };
}

/** ‖[E_i, b_i]‖², summed in the order HnswAnnIndex uses (bias first), so both give the same bits. */
export function rowNorm2(w: Pick<ModelWeights, 'dim' | 'itemEmb' | 'itemBias'>, i: number): number {
  let s = w.itemBias[i] * w.itemBias[i];
  for (let k = 0, off = i * w.dim; k < w.dim; k++) s += w.itemEmb[off + k] * w.itemEmb[off + k];
  return s;
}

/** The l2-mips norm bound M² from the largest row norm² and the headroom factor. */
export function mipsBound(maxRowNorm2: number, normHeadroom = 1.2): number {
  return maxRowNorm2 * normHeadroom ** 2;
}

/** √(M² − ‖·‖²), 0 past the bound (such a row ranks lower than it should until a rebuild). */
export function mipsSlack(maxNorm2: number, norm2: number): number {
  return Math.sqrt(Math.max(0, maxNorm2 - norm2));
}

/**
 * Copies rows [from, to) of `w` into `out` as index vectors `[E_i, b_i, …]` (row i at
 * `i · stride`), records each ‖[E_i, b_i]‖² in `norms[i]` and returns the largest of them.
 * For l2-mips the slack coordinate is left for `writeMipsSlack` (it needs the bound over
 * every row). Split into ranges so a caller can copy a large table a slice per tick.
 *
 * @example
 * const { stride } = hnswLayout('l2-mips', w.dim);
 * const out = new Float32Array(w.numItems * stride), norms = new Float64Array(w.numItems);
 * const max = copyIndexRows(w, 0, w.numItems, out, stride, norms);
 * writeMipsSlack(out, stride, norms, 0, w.numItems, mipsBound(max));
 */
export function copyIndexRows(
  w: Pick<ModelWeights, 'dim' | 'itemEmb' | 'itemBias'>, from: number, to: number, out: Float32Array, stride: number, norms: Float64Array,
): number {
  const d = w.dim;
  const E = w.itemEmb;
  let max = 0;
  for (let i = from; i < to; i++) {
    const o = i * stride;
    const off = i * d;
    const b = w.itemBias[i];
    let n2 = b * b; // the order of rowNorm2, so the bits match HnswAnnIndex.build
    for (let k = 0; k < d; k++) {
      const v = E[off + k];
      out[o + k] = v;
      n2 += v * v;
    }
    out[o + d] = b;
    norms[i] = n2;
    if (n2 > max) max = n2;
  }
  return max;
}

/** Fills the l2-mips slack coordinate (`stride − 1`) of rows [from, to) from their recorded norms. */
export function writeMipsSlack(out: Float32Array, stride: number, norms: Float64Array, from: number, to: number, maxNorm2: number): void {
  for (let i = from; i < to; i++) out[i * stride + stride - 1] = mipsSlack(maxNorm2, norms[i]);
}
