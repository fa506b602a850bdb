import { z } from 'zod';
import { DomainError } from '@edgerec/proto-schemas';
import { Bytes, bytesOf, readF32, readI8, expectLength, expectFinite } from './binary-fields.js';
import { dequantizeInt8Rows, quantizeInt8Rows, rowMaxAbs, rowScales } from './int8-codec.js';
import { scaleCodes, scalesFromCodes } from './scale-code.js';
import { topKRows, type TopKSpec } from './topk-sparsify.js';
import { decodeRice, encodeRice, fromGapsInPlace, toGaps } from './rice-coding.js';

/**
 * Wire blocks for one row-major matrix inside a msgpack envelope, one per codec. Decoders
 * take the expected shape from the envelope header and throw `DomainError(code)` on any
 * length or range inconsistency.
 */

/** float32 values */
export const DenseBlock = z.object({ f: Bytes });
export type DenseBlock = z.infer<typeof DenseBlock>;
/** per-row 1-byte scale codes + int8 values */
export const Int8Block = z.object({ s: Bytes, q: Bytes });
export type Int8Block = z.infer<typeof Int8Block>;
/** per-row scale codes, Rice-coded column gaps of the k kept entries, their int8 values */
export const TopKBlock = z.object({ k: z.number().int().min(0), s: Bytes, i: Bytes, q: Bytes });
export type TopKBlock = z.infer<typeof TopKBlock>;
/** a vector quantized with one float scale (item biases: 1 byte each) */
export const VectorInt8Block = z.object({ scale: z.number().min(0), q: Bytes });
export type VectorInt8Block = z.infer<typeof VectorInt8Block>;

export const encodeDenseBlock = (data: Float32Array): DenseBlock => ({ f: bytesOf(data) });

export function decodeDenseBlock(b: DenseBlock, count: number, code: string, what: string): Float32Array {
  const out = readF32(b.f, count, code, what);
  expectFinite(out, code, what);
  return out;
}

export function encodeInt8Block(data: Float32Array, rows: number, cols: number, rng?: () => number): Int8Block {
  const maxAbs = new Float32Array(rows);
  for (let r = 0; r < rows; r++) maxAbs[r] = rowMaxAbs(data, r * cols, cols);
  const { codes, scales } = scaleCodes(maxAbs);
  const m = quantizeInt8Rows(data, rows, cols, { scales, rng });
  return { s: codes, q: bytesOf(m.q) };
}

export function decodeInt8Block(b: Int8Block, rows: number, cols: number, code: string, what: string): Float32Array {
  expectLength(b.s, rows, code, `${what} scales`);
  const q = readI8(b.q, rows * cols, code, what);
  return dequantizeInt8Rows({ rows, cols, scales: scalesFromCodes(b.s), q });
}

export function encodeTopKBlock(
  data: Float32Array,
  rows: number,
  cols: number,
  spec: TopKSpec,
  rng?: () => number,
): TopKBlock {
  const t = topKRows(data, rows, cols, spec);
  const kept = encodeInt8Block(t.values, rows, t.k, rng);
  const gaps = new Uint32Array(rows * t.k);
  for (let r = 0; r < rows; r++) gaps.set(toGaps(t.indices, r * t.k, (r + 1) * t.k), r * t.k);
  return { k: t.k, s: kept.s, i: encodeRice(gaps), q: kept.q };
}

export function decodeTopKBlock(b: TopKBlock, rows: number, cols: number, code: string, what: string): Float32Array {
  const k = b.k;
  if (k > cols) throw new DomainError(code, 400, `${what}: k=${k} exceeds ${cols} columns`);
  const values = decodeInt8Block({ s: b.s, q: b.q }, rows, k, code, what);
  const idx = decodeRice(b.i, rows * k, code);
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    fromGapsInPlace(idx, r * k, (r + 1) * k, cols, code);
    for (let j = r * k; j < (r + 1) * k; j++) out[r * cols + idx[j]] = values[j];
  }
  return out;
}

export function encodeVectorInt8(data: Float32Array, rng?: () => number): VectorInt8Block {
  const scale = rowScales(data, 1, data.length)[0] ?? 0;
  const m = quantizeInt8Rows(data, 1, data.length, { scales: new Float32Array([scale]), rng });
  return { scale, q: bytesOf(m.q) };
}

export function decodeVectorInt8(b: VectorInt8Block, count: number, code: string, what: string): Float32Array {
  if (!Number.isFinite(b.scale)) throw new DomainError(code, 400, `${what}: bad scale`);
  const q = readI8(b.q, count, code, what);
  return dequantizeInt8Rows({ rows: 1, cols: count, scales: new Float32Array([b.scale]), q });
}
