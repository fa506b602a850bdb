import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { canonicalManifestBytes, ModelManifestMsg, type UnsignedModelManifest } from '@edgerec/proto-schemas';

/** Why a manifest or artifact was refused. */
export type ManifestErrorCode =
  | 'malformed_manifest'
  | 'unsigned_manifest'
  | 'unknown_key'
  | 'bad_signature'
  | 'size_mismatch'
  | 'hash_mismatch';

export type VerifyResult<T> = { ok: true; value: T } | { ok: false; code: ManifestErrorCode; message: string };

/** Trusted public keys by keyId: KeyObjects or PEM strings. */
export type PublicKeys = ReadonlyMap<string, KeyObject | string> | Readonly<Record<string, KeyObject | string>>;

const fail = (code: ManifestErrorCode, message: string): VerifyResult<never> => ({ ok: false, code, message });

/**
 * keyId of a public key: `sha256(SPKI DER)` hex, first 16 digits.
 *
 * @example
 * keyIdOf(createPublicKey(pem)); // 'a3f09c2b7d41e8f0'
 */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

function keyFor(keys: PublicKeys, keyId: string): KeyObject | null {
  const k = keys instanceof Map ? keys.get(keyId) : Object.hasOwn(keys, keyId) ? (keys as Record<string, KeyObject | string>)[keyId] : undefined;
  if (k === undefined) return null;
  return typeof k === 'string' ? createPublicKey(k) : k;
}

/**
 * Checks a received manifest (already msgpack-decoded, untrusted) against the trusted
 * keys: shape, presence of a signature, known keyId, Ed25519 signature over
 * `canonicalManifestBytes`. Never throws. Edges call this before fetching chunks.
 *
 * @example
 * const r = verifyManifest(raw, { [keyId]: publicKeyPem });
 * if (!r.ok) log.warn({ code: r.code }, r.message); // e.g. 'bad_signature'
 */
export function verifyManifest(manifest: unknown, publicKeys: PublicKeys): VerifyResult<ModelManifestMsg> {
  if (typeof manifest === 'object' && manifest !== null && !('signature' in manifest && (manifest as { signature?: unknown }).signature)) {
    return fail('unsigned_manifest', 'manifest carries no signature');
  }
  const parsed = ModelManifestMsg.safeParse(manifest);
  if (!parsed.success) return fail('malformed_manifest', parsed.error.issues[0]?.message ?? 'invalid manifest');
  const m = parsed.data;
  let key: KeyObject | null;
  try {
    key = keyFor(publicKeys, m.keyId);
  } catch {
    return fail('unknown_key', `trusted key ${m.keyId} is not a valid public key`);
  }
  if (!key) return fail('unknown_key', `manifest signed with unknown key ${m.keyId}`);
  let ok = false;
  try {
    ok = verify(null, canonicalManifestBytes(m as UnsignedModelManifest & { signature: string }), key, Buffer.from(m.signature, 'base64'));
  } catch {
    ok = false;
  }
  return ok ? { ok: true, value: m } : fail('bad_signature', `signature does not verify with key ${m.keyId}`);
}

/**
 * Checks downloaded artifact bytes against a verified manifest: the full snapshot, or the
 * patch (`kind: 'patch'`) against `manifest.patch`.
 *
 * @example
 * const r = verifyArtifact(manifest, bytes);
 * if (!r.ok) reject(r.code); // 'hash_mismatch' | 'size_mismatch'
 */
export function verifyArtifact(
  manifest: Pick<ModelManifestMsg, 'sha256' | 'size' | 'patch'>,
  bytes: Uint8Array,
  kind: 'snapshot' | 'patch' = 'snapshot',
): VerifyResult<Uint8Array> {
  const want = kind === 'snapshot' ? { sha256: manifest.sha256, size: manifest.size } : manifest.patch;
  if (!want) return fail('malformed_manifest', 'manifest offers no patch');
  if (bytes.byteLength !== want.size) return fail('size_mismatch', `${kind} is ${bytes.byteLength} bytes, manifest says ${want.size}`);
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest !== want.sha256) return fail('hash_mismatch', `${kind} sha256 ${digest} ≠ manifest ${want.sha256}`);
  return { ok: true, value: bytes };
}
