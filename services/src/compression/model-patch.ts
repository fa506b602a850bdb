import { z } from 'zod';
import { DomainError, type SnapshotCodec } from '@edgerec/proto-schemas';
import type { ModelWeights } from '../model/weights.js';
import { Bytes, bytesOf, expectFinite, expectLength, guardDecode, packEnvelope, readF32, readI8, unpackEnvelope } from './binary-fields.js';
import { dequantizeInt8Rows, quantizeInt8Rows } from './int8-codec.js';
import { decodeRice, encodeRice, fromGapsInPlace, toGaps } from './rice-coding.js';

/**
 * Downlink artifacts. A snapshot is the whole model with item rows int8-quantized
 * (float32 scale = maxabs/127 per row, error ≤ scale/2) and biases/adapter as float32 —
 * they are small and carry most of the ranking signal. A patch replaces the item rows that
 * changed by more than `eps` from the parent, with the *child's* rows quantized the same way,
 * so applying it to a parent that was itself decoded from a snapshot lands on the same values
 * as the child's snapshot (no drift along a chain of patches).
 */
const RowsInt8 = z.object({ s: Bytes, q: Bytes });
const Dims = { v: z.literal(1), numItems: z.number().int().min(0).max(0xffffffff), dim: z.number().int().min(1).max(65535) };

export const SnapshotEnvelope = z.object({
  ...Dims, kind: z.literal('snapshot'), emb: z.union([RowsInt8, z.object({ f: Bytes })]), bias: Bytes, adapter: Bytes,
});
export type SnapshotEnvelope = z.infer<typeof SnapshotEnvelope>;

export const PatchEnvelope = z.object({
  ...Dims, kind: z.literal('patch'), parentItems: z.number().int().min(0).max(0xffffffff),
  n: z.number().int().min(0), rows: Bytes, emb: RowsInt8, bias: Bytes, adapter: Bytes.nullable(),
});
export type PatchEnvelope = z.infer<typeof PatchEnvelope>;

/** Decoded patch: replacement rows (ascending) plus the adapter when it changed. */
export interface ModelPatch {
  parentItems: number;
  numItems: number;
  dim: number;
  rows: Uint32Array;
  /** rows.length × dim */
  emb: Float32Array;
  bias: Float32Array;
  adapter: Float32Array | null;
}

/**
 * Encodes the whole model; `codec` is the manifest's SnapshotCodec (int8 item rows, or all float32).
 *
 * @example
 * const w2 = decodeSnapshot(encodeSnapshot(w)); // |w2.itemEmb − w.itemEmb| ≤ rowScale/2
 * decodeSnapshot(encodeSnapshot(w, 'f32-snapshot')); // exact
 */
export function encodeSnapshot(w: ModelWeights, codec: SnapshotCodec = 'int8-snapshot'): Uint8Array {
  expectWeightsFinite(w, 'bad_snapshot');
  let emb: { f: Uint8Array } | { s: Uint8Array; q: Uint8Array };
  if (codec === 'f32-snapshot') emb = { f: bytesOf(w.itemEmb.subarray(0, w.numItems * w.dim)) };
  else {
    const m = quantizeInt8Rows(w.itemEmb, w.numItems, w.dim);
    emb = { s: bytesOf(m.scales), q: bytesOf(m.q) };
  }
  return packEnvelope({
    v: 1, kind: 'snapshot', numItems: w.numItems, dim: w.dim, emb,
    bias: bytesOf(w.itemBias.subarray(0, w.numItems)), adapter: bytesOf(w.adapter),
  });
}

/** Throws only `DomainError('bad_snapshot', 400)` on malformed input. */
export function decodeSnapshot(bytes: Uint8Array): ModelWeights {
  const code = 'bad_snapshot';
  const env = parseEnvelope(SnapshotEnvelope, bytes, code);
  return guardDecode(code, () => {
    const { numItems, dim } = env;
    let itemEmb: Float32Array;
    if ('f' in env.emb) {
      itemEmb = readF32(env.emb.f, numItems * dim, code, 'emb');
      expectFinite(itemEmb, code, 'emb');
    } else itemEmb = decodeRows(env.emb, numItems, dim, code);
    const itemBias = readF32(env.bias, numItems, code, 'bias');
    const adapter = readAdapter(env.adapter, code);
    expectFinite(itemBias, code, 'bias');
    return { numItems, dim, itemEmb, itemBias, adapter };
  });
}

/**
 * Patch from `parent` to `child`: rows whose embedding or bias moved by more than `eps`
 * (max-abs), rows new in the child (catalog growth), and the adapter when it moved.
 *
 * @example
 * const patch = encodePatch(v7, v8, { eps: 1e-4 });
 * const v8OnEdge = applyPatch(v7OnEdge, patch);
 */
export function encodePatch(parent: ModelWeights, child: ModelWeights, opts: { eps?: number } = {}): Uint8Array {
  const eps = opts.eps ?? 0;
  const { dim } = child;
  if (parent.dim !== dim) throw new DomainError('bad_patch', 400, `dim ${parent.dim} → ${dim} cannot be patched`);
  if (child.numItems < parent.numItems) throw new DomainError('bad_patch', 400, 'child has fewer items than parent');
  expectWeightsFinite(child, 'bad_patch');
  const changed: number[] = [];
  for (let r = 0; r < child.numItems; r++) {
    if (r >= parent.numItems || maxDiff(parent.itemEmb, child.itemEmb, r * dim, dim) > eps ||
        Math.abs(parent.itemBias[r] - child.itemBias[r]) > eps) changed.push(r);
  }
  const n = changed.length;
  const emb = new Float32Array(n * dim);
  const bias = new Float32Array(n);
  changed.forEach((r, j) => {
    emb.set(child.itemEmb.subarray(r * dim, (r + 1) * dim), j * dim);
    bias[j] = child.itemBias[r];
  });
  const m = quantizeInt8Rows(emb, n, dim);
  const adapterChanged = parent.adapter.length !== child.adapter.length ||
    maxDiff(parent.adapter, child.adapter, 0, child.adapter.length) > eps;
  return packEnvelope({
    v: 1, kind: 'patch', parentItems: parent.numItems, numItems: child.numItems, dim, n,
    rows: encodeRice(toGaps(changed)), emb: { s: bytesOf(m.scales), q: bytesOf(m.q) },
    bias: bytesOf(bias), adapter: adapterChanged ? bytesOf(child.adapter) : null,
  });
}

/** Throws only `DomainError('bad_patch', 400)` on malformed input. */
export function decodePatch(bytes: Uint8Array): ModelPatch {
  const code = 'bad_patch';
  const env = parseEnvelope(PatchEnvelope, bytes, code);
  return guardDecode(code, () => {
    const { numItems, dim, n, parentItems } = env;
    if (numItems < parentItems) throw new DomainError(code, 400, 'patch shrinks the catalog');
    const rows = decodeRice(env.rows, n, code);
    fromGapsInPlace(rows, 0, n, numItems, code);
    const emb = decodeRows(env.emb, n, dim, code);
    const bias = readF32(env.bias, n, code, 'bias');
    expectFinite(bias, code, 'bias');
    let adapter: Float32Array | null = null;
    if (env.adapter) adapter = readAdapter(env.adapter, code);
    return { parentItems, numItems, dim, rows, emb, bias, adapter };
  });
}

/**
 * New weights = parent with the patch's rows (and adapter) replaced; `parent` is not modified.
 * Throws `DomainError('patch_parent_mismatch', 409)` when the patch was made for another shape.
 */
export function applyPatch(parent: ModelWeights, patch: Uint8Array | ModelPatch): ModelWeights {
  const p = patch instanceof Uint8Array ? decodePatch(patch) : patch;
  if (p.dim !== parent.dim || p.parentItems !== parent.numItems) {
    throw new DomainError('patch_parent_mismatch', 409, `patch for ${p.parentItems}×${p.dim}, parent is ${parent.numItems}×${parent.dim}`);
  }
  const { dim, numItems } = p;
  const itemEmb = new Float32Array(numItems * dim);
  itemEmb.set(parent.itemEmb);
  const itemBias = new Float32Array(numItems);
  itemBias.set(parent.itemBias);
  for (let j = 0; j < p.rows.length; j++) {
    const r = p.rows[j];
    itemEmb.set(p.emb.subarray(j * dim, (j + 1) * dim), r * dim);
    itemBias[r] = p.bias[j];
  }
  const adapter = p.adapter ? p.adapter.slice() : parent.adapter.slice();
  return { numItems, dim, itemEmb, itemBias, adapter };
}

function parseEnvelope<S extends z.ZodType>(schema: S, bytes: Uint8Array, code: string): z.infer<S> {
  const parsed = schema.safeParse(unpackEnvelope(bytes, code));
  if (!parsed.success) throw new DomainError(code, 400, `bad envelope: ${parsed.error.issues[0]?.message ?? ''}`);
  return parsed.data;
}

/** Adapter floats (opaque layout, any length; see model/weights.ts). */
function readAdapter(bytes: Uint8Array, code: string): Float32Array {
  if (bytes.length % 4 !== 0) throw new DomainError(code, 400, `adapter of ${bytes.length} bytes is not float32s`);
  const adapter = readF32(bytes, bytes.length / 4, code, 'adapter');
  expectFinite(adapter, code, 'adapter');
  return adapter;
}

function decodeRows(b: { s: Uint8Array; q: Uint8Array }, rows: number, dim: number, code: string): Float32Array {
  const scales = readF32(b.s, rows, code, 'scales');
  expectFinite(scales, code, 'scales');
  expectLength(b.q, rows * dim, code, 'emb');
  return dequantizeInt8Rows({ rows, cols: dim, scales, q: readI8(b.q, rows * dim, code, 'emb') });
}

function expectWeightsFinite(w: ModelWeights, code: string): void {
  expectFinite(w.itemEmb, code, 'itemEmb');
  expectFinite(w.itemBias, code, 'itemBias');
  expectFinite(w.adapter, code, 'adapter');
}

function maxDiff(a: Float32Array, b: Float32Array, off: number, len: number): number {
  let m = 0;
  for (let i = off; i < off + len; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
