import { z } from 'zod';
import { KeyId } from './ids.js';
import { MAX_CHUNK_BYTES, MAX_MODEL_CHUNKS } from './limits.js';
import { versioned } from './protocol-version.js';
import { bytesSchema, Count, Ed25519Signature, EpochMs, Metrics, ModelVersion, Sha256Hex } from './scalars.js';

/** Downlink of global model versions: manifest + chunks (DESIGN §3). */

/** Encoding of a full snapshot artifact. */
export const SnapshotCodec = z.enum(['int8-snapshot', 'f32-snapshot']);
export type SnapshotCodec = z.infer<typeof SnapshotCodec>;

/** A sparse patch from an earlier version, offered next to the full snapshot. */
export const ManifestPatch = z.object({
  fromVersion: ModelVersion,
  sha256: Sha256Hex,
  size: Count,
});
export type ManifestPatch = z.infer<typeof ManifestPatch>;

const manifestShape = {
  ...versioned,
  version: ModelVersion,
  parent: ModelVersion.nullable(),
  createdAt: EpochMs,
  /** Hash of the full snapshot artifact. */
  sha256: Sha256Hex,
  size: Count,
  codec: SnapshotCodec,
  patch: ManifestPatch.optional(),
  /** Snapshot chunks; a patch has `ceil(patch.size / chunkSize)` chunks of its own. */
  chunkCount: z.int().min(1).max(MAX_MODEL_CHUNKS),
  chunkSize: z.int().min(1).max(MAX_CHUNK_BYTES),
  numItems: Count,
  dim: z.int().min(1).max(4096),
  metrics: Metrics,
  keyId: KeyId,
  /**
   * Central's ed25519 public key (base64 SPKI DER) whose hash is `keyId`. Signed with the rest;
   * an edge started with trust-on-first-use pins it from the first manifest it sees.
   */
  publicKey: z.string().max(256).regex(/^[A-Za-z0-9+/]+={0,2}$/).optional(),
};

/**
 * A manifest before signing: what `canonicalManifestBytes` serializes. Loose on
 * purpose: fields added by a newer central survive parsing, so an older edge still
 * verifies the signature over everything central signed.
 */
export const UnsignedModelManifest = z.looseObject(manifestShape);
export type UnsignedModelManifest = z.infer<typeof UnsignedModelManifest>;

/**
 * Retained announcement of the current global model on `models/manifest`.
 * `signature` is base64 Ed25519 over `canonicalManifestBytes(manifest)`.
 *
 * @example
 * const unsigned = { v: 1, version: 5, parent: 4, createdAt, sha256, size, codec: 'int8-snapshot',
 *   chunkCount: 3, chunkSize: 131072, numItems: 1682, dim: 32, metrics: { 'hr@10': 0.6 }, keyId: 'k1' };
 * const signature = sign(null, canonicalManifestBytes(unsigned), privateKey).toString('base64');
 * ModelManifestMsg.parse({ ...unsigned, signature });
 */
export const ModelManifestMsg = z.looseObject({ ...manifestShape, signature: Ed25519Signature });
export type ModelManifestMsg = z.infer<typeof ModelManifestMsg>;

/**
 * One artifact chunk on `models/{version}/chunks/{i}`. Snapshot and patch chunks
 * share the topic and are told apart by `kind`; `count` is the chunk count of that kind.
 *
 * @example
 * ModelChunkMsg.parse({ v: 1, version: 5, index: 0, count: 3, kind: 'snapshot', data: bytes });
 */
export const ModelChunkMsg = z
  .object({
    ...versioned,
    version: ModelVersion,
    index: Count,
    count: z.int().min(1).max(MAX_MODEL_CHUNKS),
    data: bytesSchema(MAX_CHUNK_BYTES),
    kind: z.enum(['snapshot', 'patch']),
  })
  .refine((m) => m.index < m.count, { message: 'index must be < count', path: ['index'] });
export type ModelChunkMsg = z.infer<typeof ModelChunkMsg>;
