import { z } from 'zod';
import { DeltaCodec, DomainError } from '@edgerec/proto-schemas';
import type { SparseDelta } from '../model/weights.js';
import { Bytes, guardDecode, packEnvelope, unpackEnvelope } from './binary-fields.js';
import { decodeRice, encodeRice, fromGapsInPlace, toGaps } from './rice-coding.js';
import type { TopKSpec } from './topk-sparsify.js';
import {
  DenseBlock, Int8Block, TopKBlock, VectorInt8Block,
  decodeDenseBlock, decodeInt8Block, decodeTopKBlock, decodeVectorInt8,
  encodeDenseBlock, encodeInt8Block, encodeTopKBlock, encodeVectorInt8,
} from './matrix-blocks.js';
import { validateDelta, sortedByRow } from './delta-validation.js';

/**
 * Wire codec for {@link SparseDelta}. Envelope: msgpack map with header fields and raw byte
 * strings. Row ids (as gaps) and row counts are Rice-coded; the codec decides the matrix blocks:
 *
 * - `none`: float32 embedding rows, biases and adapter — lossless.
 * - `int8`: embedding/adapter rows int8 with a 1-byte log-grid scale per row (error ≤ scale/2,
 *   see scale-code.ts); biases int8 with one scale for the whole bias vector (biases move on
 *   a different magnitude than embedding coordinates, so they don't share a row scale).
 * - `topk-int8`: as `int8`, but only the k largest-magnitude entries per embedding row are
 *   sent (default 10 % of dim), their column gaps Rice-coded. Pair with error feedback. The
 *   low-rank adapter is already small and dense, so it is sent int8 without top-k.
 *
 * The adapter is opaque here (any length, e.g. the low-rank `[A | B | α]` of model/weights.ts)
 * and quantized in blocks of `dim` consecutive values with one scale each; the last block may
 * be short, which keeps a trailing scalar such as a gate from sharing a scale with A and B.
 *
 * Decoded rows are ascending (encoders may pass any order; duplicates are rejected).
 */
// The codec names belong to the wire contract (DeltaChunkMsg.codec); re-exported for callers.
export { DeltaCodec };

export interface DeltaCodecOptions {
  /** top-k spec for `topk-int8` (default `{ fraction: 0.1 }`) */
  topK?: TopKSpec;
  /** uniform [0,1) source: stochastic (unbiased) rounding for int8 codecs */
  rng?: () => number;
}

const Header = {
  v: z.literal(1),
  dim: z.number().int().min(1).max(65535),
  n: z.number().int().min(0).max(0xffffffff),
  samples: z.number().min(0),
  adapterCount: z.number().min(0),
  /** adapter length in floats (0 when absent) */
  adapterLen: z.number().int().min(0).max(0xffffffff),
  rows: Bytes,
  counts: Bytes,
};
export const DeltaEnvelope = z.discriminatedUnion('codec', [
  z.object({ ...Header, codec: z.literal('none'), emb: DenseBlock, bias: DenseBlock, adapter: DenseBlock.nullable() }),
  z.object({ ...Header, codec: z.literal('int8'), emb: Int8Block, bias: VectorInt8Block, adapter: Int8Block.nullable() }),
  z.object({ ...Header, codec: z.literal('topk-int8'), emb: TopKBlock, bias: VectorInt8Block, adapter: Int8Block.nullable() }),
]);
export type DeltaEnvelope = z.infer<typeof DeltaEnvelope>;

/**
 * Encodes a delta; throws `DomainError('bad_delta', 400)` for an inconsistent or non-finite delta.
 *
 * @example
 * const bytes = encodeDelta(delta, 'topk-int8', { topK: { fraction: 0.1 } });
 * console.log(bytes.length / denseBytes(delta)); // ≈ 0.05 for dim 64
 */
export function encodeDelta(delta: SparseDelta, codec: DeltaCodec, opts: DeltaCodecOptions = {}): Uint8Array {
  validateDelta(delta);
  const d = sortedByRow(delta);
  const { dim } = d;
  const n = d.rows.length;
  const head = {
    v: 1, codec, dim, n, samples: d.samples, adapterCount: d.adapterCount, adapterLen: d.adapter?.length ?? 0,
    rows: encodeRice(toGaps(d.rows)), counts: encodeRice(d.rowCounts),
  };
  const rng = opts.rng;
  if (codec === 'none') {
    return packEnvelope({
      ...head, emb: encodeDenseBlock(d.emb), bias: encodeDenseBlock(d.bias),
      adapter: d.adapter && encodeDenseBlock(d.adapter),
    });
  }
  if (codec === 'int8') {
    return packEnvelope({
      ...head, emb: encodeInt8Block(d.emb, n, dim, rng), bias: encodeVectorInt8(d.bias, rng),
      adapter: d.adapter && encodeAdapter(d.adapter, dim, rng),
    });
  }
  if (codec === 'topk-int8') {
    const spec = opts.topK ?? { fraction: 0.1 };
    return packEnvelope({
      ...head, emb: encodeTopKBlock(d.emb, n, dim, spec, rng), bias: encodeVectorInt8(d.bias, rng),
      adapter: d.adapter && encodeAdapter(d.adapter, dim, rng),
    });
  }
  throw new DomainError('bad_delta', 400, `unknown codec ${String(codec)}`);
}

export interface DecodeDeltaOptions {
  /** cap on decoded float values (rows × dim + adapter), against decompression bombs; default 2^26 */
  maxValues?: number;
}

/**
 * Decodes bytes from {@link encodeDelta}. Throws only `DomainError('bad_delta', 400)`, for
 * anything malformed: bad msgpack, unknown version/codec, inconsistent lengths, row ids out of
 * order, indices out of range, non-finite values, or a result larger than `maxValues`.
 */
export function decodeDelta(bytes: Uint8Array, opts: DecodeDeltaOptions = {}): SparseDelta {
  const code = 'bad_delta';
  const raw = unpackEnvelope(bytes, code);
  const parsed = DeltaEnvelope.safeParse(raw);
  if (!parsed.success) throw new DomainError(code, 400, `bad delta envelope: ${parsed.error.issues[0]?.message ?? ''}`);
  const env = parsed.data;
  return guardDecode(code, () => {
    const { dim, n, adapterLen } = env;
    const maxValues = opts.maxValues ?? 2 ** 26;
    if (n * dim + adapterLen > maxValues) {
      throw new DomainError(code, 400, `delta of ${n}×${dim} exceeds ${maxValues} values`);
    }
    if (!env.adapter && adapterLen !== 0) throw new DomainError(code, 400, 'adapter length without adapter');
    const rows = decodeRice(env.rows, n, code);
    fromGapsInPlace(rows, 0, n, 0x100000000, code);
    const rowCounts = decodeRice(env.counts, n, code);
    let emb: Float32Array;
    let bias: Float32Array;
    let adapter: Float32Array | null = null;
    if (env.codec === 'none') {
      emb = decodeDenseBlock(env.emb, n * dim, code, 'emb');
      bias = decodeDenseBlock(env.bias, n, code, 'bias');
      if (env.adapter) adapter = decodeDenseBlock(env.adapter, adapterLen, code, 'adapter');
    } else if (env.codec === 'int8') {
      emb = decodeInt8Block(env.emb, n, dim, code, 'emb');
      bias = decodeVectorInt8(env.bias, n, code, 'bias');
      if (env.adapter) adapter = decodeAdapter(env.adapter, adapterLen, dim, code);
    } else {
      emb = decodeTopKBlock(env.emb, n, dim, code, 'emb');
      bias = decodeVectorInt8(env.bias, n, code, 'bias');
      if (env.adapter) adapter = decodeAdapter(env.adapter, adapterLen, dim, code);
    }
    return { dim, rows, emb, bias, rowCounts, adapter, adapterCount: env.adapterCount, samples: env.samples };
  });
}

/**
 * Size of the delta as dense float32 (rows × (dim + 1) × 4, plus 4 bytes per adapter value):
 * the reference for compression ratios.
 */
export function denseBytes(delta: SparseDelta): number {
  return delta.rows.length * (delta.dim + 1) * 4 + (delta.adapter?.length ?? 0) * 4;
}

/** The adapter as ⌈len/dim⌉ int8 rows of dim values, zero-padded at the end. */
function encodeAdapter(adapter: Float32Array, dim: number, rng?: () => number): Int8Block {
  const rows = Math.ceil(adapter.length / dim);
  const padded = new Float32Array(rows * dim);
  padded.set(adapter);
  return encodeInt8Block(padded, rows, dim, rng);
}

function decodeAdapter(b: Int8Block, len: number, dim: number, code: string): Float32Array {
  return decodeInt8Block(b, Math.ceil(len / dim), dim, code, 'adapter').slice(0, len);
}
