import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DomainError, ModelManifestMsg } from '@edgerec/proto-schemas';
import { keyIdOf, verifyManifest, type VerifyResult } from '@edgerec/services/common';

/**
 * Edge-side trust in model releases (DESIGN §5: applied only if hash and signature check
 * out). The checks themselves are shared with central (services/src/common/
 * manifest-verification.ts); this file adds the keys an edge trusts and trust-on-first-use.
 * Refusal codes are also the `reason` label of `edgerec_model_rejected_total`.
 */
export { keyIdOf, verifyArtifact, type ManifestErrorCode, type VerifyResult } from '@edgerec/services/common';

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
    const parsed = ModelManifestMsg.safeParse(raw);
    if (parsed.success && !this.keys.has(parsed.data.keyId)) this.tryPin(parsed.data);
    return verifyManifest(raw, this.keys);
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
