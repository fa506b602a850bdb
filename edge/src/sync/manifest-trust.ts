import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { canonicalManifestBytes, DomainError, ModelManifestMsg, type UnsignedModelManifest } from '@edgerec/proto-schemas';

/**
 * Edge-side checks of a model release (DESIGN §5: applied only if hash and signature check
 * out). Same rules and codes as central's `distribution/verify-manifest.ts`; the edge keeps
 * its own copy because `edge` must not depend on `central` (docs/decisions.md §7).
 */

/** Why a release was refused (also the `reason` label of `edgerec_model_rejected_total`). */
export type ManifestErrorCode =
  | 'malformed_manifest'
  | 'unsigned_manifest'
  | 'unknown_key'
  | 'bad_signature'
  | 'size_mismatch'
  | 'hash_mismatch';

export type VerifyResult<T> = { ok: true; value: T } | { ok: false; code: ManifestErrorCode; message: string };

const fail = (code: ManifestErrorCode, message: string): VerifyResult<never> => ({ ok: false, code, message });

/**
 * keyId of a public key as central names it: sha256 over the SPKI DER, first 16 hex digits.
 *
 * @example
 * keyIdOf(createPublicKey(pem)); // 'a3f09c2b7d41e8f0'
 */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

/**
 * Central's public keys from PEM files (`--central-key`), by keyId. Throws
 * `DomainError('bad_central_key', 400)` for a file that is missing or holds no ed25519 key.
 *
 * @example
 * const keys = loadCentralKeys(['/run/secrets/signing_key_pub']);
 */
export function loadCentralKeys(files: readonly string[]): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  for (const file of files) {
    let key: KeyObject;
    try {
      key = createPublicKey(readFileSync(file));
    } catch {
      throw new DomainError('bad_central_key', 400, `cannot read a public key from ${file}`);
    }
    if (key.asymmetricKeyType !== 'ed25519') throw new DomainError('bad_central_key', 400, `${file} is not an ed25519 key`);
    keys.set(keyIdOf(key), key);
  }
  return keys;
}

/**
 * The keys an edge trusts, with optional trust-on-first-use: when enabled and no key is
 * configured, the first manifest that carries its own `publicKey` (base64 SPKI DER, matching
 * its keyId) pins that key; `onPin` persists it so a restart keeps trusting only it.
 *
 * @example
 * const trust = new ManifestTrust(loadCentralKeys(files));
 * const r = trust.verify(rawManifest); // { ok: false, code: 'bad_signature', … }
 */
export class ManifestTrust {
  /** called when trust-on-first-use pins a key (the sync client persists it) */
  onPin: ((keyId: string, spkiBase64: string) => void) | undefined;

  constructor(
    private readonly keys: Map<string, KeyObject>,
    private readonly opts: { trustOnFirstUse?: boolean } = {},
  ) {}

  get size(): number {
    return this.keys.size;
  }

  /** Adds a previously pinned key (base64 SPKI DER). */
  pin(spkiBase64: string): string {
    const key = createPublicKey({ key: Buffer.from(spkiBase64, 'base64'), format: 'der', type: 'spki' });
    const keyId = keyIdOf(key);
    this.keys.set(keyId, key);
    return keyId;
  }

  /** Shape, signature presence, known keyId, Ed25519 signature over `canonicalManifestBytes`. Never throws. */
  verify(raw: unknown): VerifyResult<ModelManifestMsg> {
    if (typeof raw === 'object' && raw !== null && !(raw as { signature?: unknown }).signature) {
      return fail('unsigned_manifest', 'manifest carries no signature');
    }
    const parsed = ModelManifestMsg.safeParse(raw);
    if (!parsed.success) return fail('malformed_manifest', parsed.error.issues[0]?.message ?? 'invalid manifest');
    const m = parsed.data;
    if (!this.keys.has(m.keyId)) this.tryPin(m);
    const key = this.keys.get(m.keyId);
    if (!key) return fail('unknown_key', `manifest signed with unknown key ${m.keyId}`);
    let ok = false;
    try {
      ok = verify(null, canonicalManifestBytes(m as UnsignedModelManifest & { signature: string }), key, Buffer.from(m.signature, 'base64'));
    } catch {
      ok = false;
    }
    return ok ? { ok: true, value: m } : fail('bad_signature', `signature does not verify with key ${m.keyId}`);
  }

  private tryPin(m: ModelManifestMsg): void {
    const spki = (m as { publicKey?: unknown }).publicKey;
    if (!this.opts.trustOnFirstUse || this.keys.size > 0 || typeof spki !== 'string') return;
    try {
      const key = createPublicKey({ key: Buffer.from(spki, 'base64'), format: 'der', type: 'spki' });
      if (key.asymmetricKeyType !== 'ed25519' || keyIdOf(key) !== m.keyId) return;
      this.keys.set(m.keyId, key);
      this.onPin?.(m.keyId, spki);
    } catch {
      // not a key: the manifest is refused as unknown_key below
    }
  }
}

/**
 * Checks artifact bytes against a verified manifest: the full snapshot, or the patch.
 *
 * @example
 * const r = verifyArtifact(manifest, bytes, 'patch'); // { ok: false, code: 'hash_mismatch', … }
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
