import type { ModelWeights } from '../weights.js';

/**
 * A 32-bit fingerprint of one item row: the bits of `E_i[0 … dim)` and then `b_i`, folded
 * word by word. Each step (`h ^= w; h *= odd; h ^= h >>> 15`) is a bijection of `h` for a
 * given word and injective in the word for a given `h`, so rows that differ in one word
 * (one value, even by its last bit, or 0 vs −0) always get different fingerprints; rows
 * that differ in several collide with probability ~2⁻³². An ANN index keeps the
 * fingerprints of the rows it was built from, so a restart can tell which rows moved since.
 *
 * @example
 * const bits = new Uint32Array(w.itemEmb.buffer, w.itemEmb.byteOffset, w.itemEmb.length);
 * const fp = rowFingerprint(bits, i * w.dim, w.dim, new Uint32Array(w.itemBias.buffer, w.itemBias.byteOffset)[i]);
 */
export function rowFingerprint(bits: Uint32Array, off: number, dim: number, biasBits: number): number {
  let h = 0x811c9dc5 ^ dim;
  for (let k = 0; k < dim; k++) {
    h = Math.imul(h ^ bits[off + k], 0x01000193);
    h ^= h >>> 15;
  }
  h = Math.imul(h ^ biasBits, 0x01000193);
  return (h ^ (h >>> 15)) >>> 0;
}

const wordsOf = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

/**
 * Fingerprints of rows [from, to) of the live weights into `out[i]`.
 *
 * @example
 * const fps = new Uint32Array(w.numItems);
 * fingerprintRows(w, 0, w.numItems, fps);
 */
export function fingerprintRows(w: Pick<ModelWeights, 'dim' | 'itemEmb' | 'itemBias'>, from: number, to: number, out: Uint32Array): void {
  const emb = wordsOf(w.itemEmb); // views made per call: a wasm table's buffer changes when its memory grows
  const bias = wordsOf(w.itemBias);
  const d = w.dim;
  for (let i = from; i < to; i++) out[i] = rowFingerprint(emb, i * d, d, bias[i]);
}

/**
 * Fingerprints of rows [from, to) of index vectors `[E_i, b_i, …]` (copyIndexRows' layout,
 * row i at `i · stride`) into `out[i]`: the same values as `fingerprintRows` over the
 * weights they were copied from.
 *
 * @example
 * copyIndexRows(w, from, to, rows, stride, norms);
 * fingerprintIndexRows(rows, stride, w.dim, from, to, fps);
 */
export function fingerprintIndexRows(rows: Float32Array, stride: number, dim: number, from: number, to: number, out: Uint32Array): void {
  const bits = wordsOf(rows);
  for (let i = from; i < to; i++) out[i] = rowFingerprint(bits, i * stride, dim, bits[i * stride + dim]);
}

/**
 * Rows in [from, to) whose live fingerprint differs from `kept[i]`, passed to `changed` in
 * order; returns how many.
 *
 * @example
 * const n = diffFingerprints(model.weights, keptFps, 0, 16_384, (row) => log.mark(row));
 */
export function diffFingerprints(
  w: Pick<ModelWeights, 'dim' | 'itemEmb' | 'itemBias'>, kept: Uint32Array, from: number, to: number, changed: (row: number) => void,
): number {
  const emb = wordsOf(w.itemEmb);
  const bias = wordsOf(w.itemBias);
  const d = w.dim;
  let n = 0;
  for (let i = from; i < to; i++) {
    if (rowFingerprint(emb, i * d, d, bias[i]) === kept[i]) continue;
    n++;
    changed(i);
  }
  return n;
}
