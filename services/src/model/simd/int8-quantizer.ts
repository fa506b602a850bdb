/**
 * The int8 mirror's math in JS: the reference the wasm quantizer (int8-kernel.wat) is tested
 * against bit for bit, plus the per-query int16 quantization and the re-rank depth.
 */

/** Rows whose max |x| is below this quantize to all zeros with scale 0 (127/max would overflow). */
export const INT8_ZERO_ROW_MAX = 2 ** -100;

/** Stride in bytes of a mirror row: dim rounded up to 16 (one i8x16 load per 16 elements). */
export const int8Stride = (dim: number): number => Math.ceil(dim / 16) * 16;

/** Round half to even, as wasm's `f32.nearest` does. */
function nearestEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Quantizes `src[off .. off + dim)` symmetrically into `dst[dstOff ..)` (int8, then zeros up
 * to the stride) and returns the row scale: scale = max|x|/127 (float32), Q = nearest-even(x ·
 * 127/max) computed in float32, so `|x − Q·scale| ≤ scale/2` up to float32 rounding.
 * Non-finite elements count as 0; a row with max|x| < 2^-100 gives zeros and scale 0.
 *
 * @example
 * const q = new Int8Array(16);
 * const scale = quantizeRowInt8(Float32Array.of(0.5, -1), 0, 2, q, 0); // q = [64, -127, 0…], scale ≈ 1/127
 */
export function quantizeRowInt8(src: ArrayLike<number>, off: number, dim: number, dst: Int8Array, dstOff: number): number {
  const f = Math.fround;
  let mx = 0;
  for (let k = 0; k < dim; k++) {
    const a = Math.abs(src[off + k]);
    if (a < Infinity && a > mx) mx = a;
  }
  const stride = int8Stride(dim);
  if (mx < INT8_ZERO_ROW_MAX) {
    dst.fill(0, dstOff, dstOff + stride);
    return 0;
  }
  const inv = f(127 / mx);
  for (let k = 0; k < dim; k++) {
    const x = src[off + k];
    dst[dstOff + k] = Math.abs(x) < Infinity ? nearestEven(f(f(x) * inv)) : 0;
  }
  dst.fill(0, dstOff + dim, dstOff + stride);
  return f(mx / 127);
}

/**
 * Largest |q16| a query may use so that Σ_k Q·q16 over a row stays inside int32
 * (127 · qmax · dim ≤ 2³¹ − 1); 32767 (the int16 maximum) up to dim 516.
 */
export const int16QueryMax = (dim: number): number => Math.min(32_767, Math.floor(2_147_483_647 / (127 * Math.max(1, dim))));

/**
 * Quantizes the query `q` (dim floats) into `out` (int16, length ≥ dim; the rest is zeroed)
 * and returns its scale, so q ≈ out · scale. Returns 0 for a zero query and NaN when `q`
 * holds a non-finite value (the caller then scores exactly).
 *
 * @example
 * const q16 = new Int16Array(16);
 * quantizeQueryInt16(Float32Array.of(1, -0.5), q16); // q16 = [32767, -16384, 0…]
 */
export function quantizeQueryInt16(q: ArrayLike<number>, out: Int16Array): number {
  const dim = q.length;
  let mx = 0;
  for (let k = 0; k < dim; k++) {
    const a = Math.abs(q[k]);
    if (!(a < Infinity)) return Number.NaN;
    if (a > mx) mx = a;
  }
  out.fill(0);
  if (mx < INT8_ZERO_ROW_MAX) return 0;
  const qmax = int16QueryMax(dim);
  const inv = qmax / mx;
  for (let k = 0; k < dim; k++) out[k] = Math.round(q[k] * inv);
  return mx / qmax;
}

/** How deep the int8 pass looks before the exact re-rank. */
export interface RerankDepth {
  /** candidates per requested item: C = max(k · rerank, k + minCandidates) (default 4) */
  rerank?: number;
  /** floor on C − k, for small k (default 16) */
  minCandidates?: number;
}

export const DEFAULT_RERANK = 4;
export const DEFAULT_MIN_CANDIDATES = 16;

/**
 * The number of int8 candidates C that get an exact f32 score, capped by `cap` (the
 * selection heap) and the catalog size.
 *
 * @example
 * candidateCount(10, 50_000, 1024); // 40
 */
export function candidateCount(k: number, numItems: number, cap: number, depth: RerankDepth = {}): number {
  const r = depth.rerank ?? DEFAULT_RERANK;
  const min = depth.minCandidates ?? DEFAULT_MIN_CANDIDATES;
  return Math.min(numItems, cap, Math.max(Math.ceil(k * r), k + min));
}
