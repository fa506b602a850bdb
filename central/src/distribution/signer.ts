import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  canonicalManifestBytes, DomainError, ModelManifestMsg, type UnsignedModelManifest,
} from '@edgerec/proto-schemas';
import { keyIdOf } from '@edgerec/services/common';
import type { Logger } from '../central-logger.js';

export { keyIdOf };
import { silentLogger } from '../central-logger.js';

/** Env var naming the PEM file of central's ed25519 signing key. */
export const SIGNING_KEY_ENV = 'EDGEREC_SIGNING_KEY_FILE';
/** Where the key is generated when neither a file nor the env var names one. */
export const DEFAULT_KEY_FILE = 'signing-key.pem';
/** Public half, written next to it for distribution to edges. */
export const PUBLIC_KEY_FILE = 'signing-key.pub.pem';

/**
 * Signs model manifests. The private key lives only in this closure — it is not a
 * property, so logging or serializing the signer cannot leak it.
 */
export interface ManifestSigner {
  /** first 16 hex digits of sha256 over the public key's SPKI DER */
  readonly keyId: string;
  readonly publicKey: KeyObject;
  readonly publicKeyPem: string;
  /** Adds `signature` (base64 Ed25519 over canonicalManifestBytes); `keyId` must be this signer's. */
  sign(manifest: UnsignedModelManifest): ModelManifestMsg;
}

/** A signer over an ed25519 private key. */
export function createSigner(privateKey: KeyObject): ManifestSigner {
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new DomainError('bad_signing_key', 500, `signing key must be ed25519, got ${privateKey.asymmetricKeyType ?? 'unknown'}`);
  }
  const publicKey = createPublicKey(privateKey);
  const keyId = keyIdOf(publicKey);
  return {
    keyId,
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign(manifest) {
      if (manifest.keyId !== keyId) throw new DomainError('bad_signing_key', 500, `manifest names key ${manifest.keyId}, signer is ${keyId}`);
      const signature = sign(null, canonicalManifestBytes(manifest), privateKey).toString('base64');
      return ModelManifestMsg.parse({ ...manifest, signature });
    },
  };
}

export interface LoadSignerOptions {
  dataDir: string;
  /** explicit PEM file; otherwise $EDGEREC_SIGNING_KEY_FILE; otherwise `<dataDir>/signing-key.pem` */
  keyFile?: string;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
}

/**
 * Loads central's signing key, generating one into the data dir on first start. A key file
 * named explicitly (option or env) must exist: silently minting a new identity there would
 * make every edge refuse the next release. Only the keyId and the file path are logged.
 *
 * @example
 * const signer = loadOrCreateSigner({ dataDir: '/var/lib/edgerec' });
 * signer.keyId; // '5f0c…'
 */
export function loadOrCreateSigner(opts: LoadSignerOptions): ManifestSigner {
  const logger = opts.logger ?? silentLogger;
  const named = opts.keyFile ?? (opts.env ?? process.env)[SIGNING_KEY_ENV];
  const file = named ?? join(opts.dataDir, DEFAULT_KEY_FILE);
  if (!existsSync(file)) {
    if (named) throw new DomainError('signing_key_missing', 500, `signing key file ${file} does not exist`);
    const { privateKey } = generateKeyPairSync('ed25519');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    const signer = createSigner(privateKey);
    writeFileSync(join(dirname(file), PUBLIC_KEY_FILE), signer.publicKeyPem);
    logger.info({ keyId: signer.keyId, file }, 'generated manifest signing key');
    return signer;
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(file));
  } catch {
    // The parser's message could quote key material; report the file only.
    throw new DomainError('bad_signing_key', 500, `cannot read a private key from ${file}`);
  }
  const signer = createSigner(key);
  logger.info({ keyId: signer.keyId, file }, 'loaded manifest signing key');
  return signer;
}
