import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DomainError, type UnsignedModelManifest } from '@edgerec/proto-schemas';
import { sha256Hex } from '@edgerec/services/compression';
import { recordingLogger } from '../central-logger.js';
import { DEFAULT_KEY_FILE, loadOrCreateSigner, PUBLIC_KEY_FILE, SIGNING_KEY_ENV } from './signer.js';
import { verifyArtifact, verifyManifest } from './verify-manifest.js';

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'central-signer-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const artifact = new TextEncoder().encode('model bytes');

function unsigned(keyId: string, over: Partial<UnsignedModelManifest> = {}): UnsignedModelManifest {
  return {
    v: 1, version: 2, parent: 1, createdAt: 1_700_000_000_000, sha256: sha256Hex(artifact), size: artifact.byteLength,
    codec: 'int8-snapshot', chunkCount: 1, chunkSize: 131072, numItems: 10, dim: 4, metrics: { 'hr@10': 0.5 }, keyId, ...over,
  };
}

describe('manifest signing key', () => {
  it('is generated into the data dir on first start and reloaded with the same keyId', () => {
    const dir = tempDir();
    const logger = recordingLogger();
    const a = loadOrCreateSigner({ dataDir: dir, env: {}, logger });
    expect(a.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(statSync(join(dir, DEFAULT_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, PUBLIC_KEY_FILE), 'utf8')).toBe(a.publicKeyPem);
    const b = loadOrCreateSigner({ dataDir: dir, env: {}, logger });
    expect(b.keyId).toBe(a.keyId);
    // The key never reaches the logs, nor the signer's enumerable state.
    const pem = readFileSync(join(dir, DEFAULT_KEY_FILE), 'utf8');
    const logged = JSON.stringify(logger.records);
    expect(logged).not.toContain('PRIVATE KEY');
    expect(logged).not.toContain(pem.split('\n')[1]);
    expect(JSON.stringify(a)).not.toContain('PRIVATE');
  });

  it('is read from the file named by EDGEREC_SIGNING_KEY_FILE', () => {
    const dir = tempDir();
    const file = join(dir, 'my-key.pem');
    writeFileSync(file, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const s = loadOrCreateSigner({ dataDir: join(dir, 'data'), env: { [SIGNING_KEY_ENV]: file } });
    expect(existsSync(join(dir, 'data', DEFAULT_KEY_FILE))).toBe(false);
    expect(loadOrCreateSigner({ dataDir: dir, keyFile: file }).keyId).toBe(s.keyId);
  });

  it('refuses a named key file that does not exist, and a key that is not ed25519', () => {
    const dir = tempDir();
    expect(() => loadOrCreateSigner({ dataDir: dir, keyFile: join(dir, 'missing.pem') })).toThrow(DomainError);
    const rsa = join(dir, 'rsa.pem');
    writeFileSync(rsa, generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    expect(() => loadOrCreateSigner({ dataDir: dir, keyFile: rsa })).toThrow(/ed25519/);
  });
});

describe('verifyManifest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'central-verify-'));
  dirs.push(dir);
  const signer = loadOrCreateSigner({ dataDir: dir, env: {} });
  const keys = { [signer.keyId]: signer.publicKeyPem };

  it('accepts a manifest signed by a trusted key', () => {
    const m = signer.sign(unsigned(signer.keyId));
    const r = verifyManifest(m, keys);
    expect(r.ok).toBe(true);
    expect(r.ok && r.value.version).toBe(2);
    expect(verifyManifest(m, new Map([[signer.keyId, signer.publicKey]])).ok).toBe(true);
  });

  it('refuses a tampered manifest with bad_signature', () => {
    const m = signer.sign(unsigned(signer.keyId));
    expect(verifyManifest({ ...m, version: 3 }, keys)).toMatchObject({ ok: false, code: 'bad_signature' });
    expect(verifyManifest({ ...m, metrics: { 'hr@10': 0.9 } }, keys)).toMatchObject({ ok: false, code: 'bad_signature' });
    expect(verifyManifest({ ...m, extra: 'added field' }, keys)).toMatchObject({ ok: false, code: 'bad_signature' });
  });

  it('refuses an unsigned manifest, an unknown key and garbage with distinct codes', () => {
    expect(verifyManifest(unsigned(signer.keyId), keys)).toMatchObject({ ok: false, code: 'unsigned_manifest' });
    const other = loadOrCreateSigner({ dataDir: tempDir(), env: {} });
    expect(verifyManifest(other.sign(unsigned(other.keyId)), keys)).toMatchObject({ ok: false, code: 'unknown_key' });
    expect(verifyManifest({ signature: 'x' }, keys)).toMatchObject({ ok: false, code: 'malformed_manifest' });
    expect(verifyManifest(null, keys)).toMatchObject({ ok: false, code: 'malformed_manifest' });
  });

  it('a signature by another key under a trusted keyId is refused', () => {
    const other = loadOrCreateSigner({ dataDir: tempDir(), env: {} });
    const forged = other.sign(unsigned(other.keyId));
    expect(verifyManifest({ ...forged, keyId: signer.keyId }, keys)).toMatchObject({ ok: false, code: 'bad_signature' });
  });
});

describe('verifyArtifact', () => {
  it('accepts matching bytes and refuses tampered or truncated ones', () => {
    const m = { sha256: sha256Hex(artifact), size: artifact.byteLength };
    expect(verifyArtifact(m, artifact).ok).toBe(true);
    const tampered = artifact.slice();
    tampered[0] ^= 1;
    expect(verifyArtifact(m, tampered)).toMatchObject({ ok: false, code: 'hash_mismatch' });
    expect(verifyArtifact(m, artifact.subarray(1))).toMatchObject({ ok: false, code: 'size_mismatch' });
    expect(verifyArtifact(m, artifact, 'patch')).toMatchObject({ ok: false, code: 'malformed_manifest' });
  });
});
