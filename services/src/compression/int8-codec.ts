/**
 * Per-row symmetric int8 quantization of a row-major matrix: row r is stored as
 * `q[r, c] ∈ [-127, 127]` and one scale `s[r]`, and decodes to `q · s`.
 *
 * Deterministic rounding keeps |x − q·s| ≤ s/2. Stochastic rounding (with an injected
 * uniform RNG) keeps |x − q·s| < s and is unbiased, E[q·s] = x, which matters when many
 * small updates are summed (e.g. federated averaging of quantized deltas).
 */
export interface Int8Rows {
  rows: number;
  cols: number;
  /** one scale per row; 0 for an all-zero row */
  scales: Float32Array;
  /** rows × cols, row-major */
  q: Int8Array;
}

export interface QuantizeOptions {
  /** uniform [0,1) source; when given, rounding is stochastic */
  rng?: () => number;
  /**
   * Scales to use instead of maxabs/127, one per row. Each must be ≥ the row's maxabs/127
   * (callers use this for scales restricted to a coarse grid, see scale-code.ts).
   */
  scales?: Float32Array;
}

/** The scale that maps a row's largest magnitude to ±127. */
export const int8Scale = (maxAbs: number): number => maxAbs / 127;

/**
 * Quantizes `rows × cols` values of `data` (row-major) to int8 with one scale per row.
 *
 * @example
 * const m = quantizeInt8Rows(new Float32Array([0.5, -1, 0.25, 0]), 2, 2);
 * dequantizeInt8Rows(m); // ≈ [0.5, -1, 0.25, 0], error ≤ scale/2 per element
 */
export function quantizeInt8Rows(
  data: Float32Array,
  rows: number,
  cols: number,
  opts: QuantizeOptions = {},
): Int8Rows {
  if (data.length < rows * cols) throw new RangeError(`int8: need ${rows * cols} values, got ${data.length}`);
  const scales = opts.scales ? Float32Array.from(opts.scales) : rowScales(data, rows, cols);
  const q = new Int8Array(rows * cols);
  const rng = opts.rng;
  for (let r = 0; r < rows; r++) {
    const s = scales[r];
    if (s === 0) continue;
    const inv = 1 / s;
    const off = r * cols;
    for (let c = 0; c < cols; c++) {
      const x = data[off + c] * inv;
      let v = rng ? Math.floor(x + rng()) : Math.round(x);
      // Clamping only bites on float round-off at ±127 (or a caller scale that is too small).
      if (v > 127) v = 127;
      else if (v < -127) v = -127;
      q[off + c] = v;
    }
  }
  return { rows, cols, scales, q };
}

/** Decodes to float32, into `out` when given (must hold rows × cols values). */
export function dequantizeInt8Rows(m: Int8Rows, out = new Float32Array(m.rows * m.cols)): Float32Array {
  const { rows, cols, scales, q } = m;
  for (let r = 0; r < rows; r++) {
    const s = scales[r];
    const off = r * cols;
    for (let c = 0; c < cols; c++) out[off + c] = q[off + c] * s;
  }
  return out;
}

/** Smallest positive float32 (subnormal); keeps a non-zero row from getting scale 0. */
const MIN_F32 = 2 ** -149;

/** maxabs/127 of every row (as float32). */
export function rowScales(data: Float32Array, rows: number, cols: number): Float32Array {
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const m = rowMaxAbs(data, r * cols, cols);
    scales[r] = m > 0 ? Math.max(int8Scale(m), MIN_F32) : 0;
  }
  return scales;
}

export function rowMaxAbs(data: Float32Array, offset: number, len: number): number {
  let m = 0;
  for (let i = offset; i < offset + len; i++) {
    const a = Math.abs(data[i]);
    if (a > m) m = a;
  }
  return m;
}
