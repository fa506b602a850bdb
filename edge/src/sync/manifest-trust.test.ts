import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalManifestBytes, type UnsignedModelManifest } from '@edgerec/proto-schemas';
import { sha256Hex } from '@edgerec/services/compression';
import { keyIdOf, loadCentralKeys, ManifestTrust, verifyArtifact } from './manifest-trust.js';

const artifact = new Uint8Array([1, 2, 3, 4, 5]);
const pair = () => generateKeyPairSync('ed25519');

function manifest(keyId: string, extra: Record<string, unknown> = {}): UnsignedModelManifest & Record<string, unknown> {
  return {
    v: 1, version: 3, parent: 2, createdAt: 1, sha256: sha256Hex(artifact), size: artifact.length, codec: 'int8-snapshot',
    chunkCount: 1, chunkSize: 131072, numItems: 10, dim: 4, metrics: {}, keyId, ...extra,
  };
}
const signed = (m: UnsignedModelManifest, key: KeyObject) => ({ ...m, signature: sign(null, canonicalManifestBytes(m), key).toString('base64') });

describe('ManifestTrust', () => {
  const central = pair();
  const keyId = keyIdOf(central.publicKey);
  const trust = new ManifestTrust(new Map([[keyId, central.publicKey]]));

  it('accepts a manifest signed by a trusted central key', () => {
    expect(trust.verify(signed(manifest(keyId), central.privateKey))).toMatchObject({ ok: true, value: { version: 3 } });
  });

  it.each([
    ['bad_signature', () => ({ ...signed(manifest(keyId), central.privateKey), version: 4 })],
    ['bad_signature', () => signed(manifest(keyId), pair().privateKey)],
    ['unknown_key', () => signed(manifest('someone-else'), central.privateKey)],
    ['unsigned_manifest', () => manifest(keyId)],
    ['malformed_manifest', () => ({ ...signed(manifest(keyId), central.privateKey), dim: 'four' })],
  ])('refuses with %s', (code, make) => {
    expect(trust.verify(make())).toMatchObject({ ok: false, code });
  });

  it('checks artifact size and hash against the manifest', () => {
    const m = manifest(keyId);
    expect(verifyArtifact(m, artifact).ok).toBe(true);
    expect(verifyArtifact(m, new Uint8Array([1, 2, 3, 4]))).toMatchObject({ ok: false, code: 'size_mismatch' });
    expect(verifyArtifact(m, new Uint8Array([1, 2, 3, 4, 6]))).toMatchObject({ ok: false, code: 'hash_mismatch' });
  });

  it('pins the first key a manifest carries only with trust-on-first-use, and no other key afterwards', () => {
    const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'der' }).toString('base64');
    const withKey = signed(manifest(keyId, { publicKey: spki(central.publicKey) }), central.privateKey);
    expect(new ManifestTrust(new Map()).verify(withKey)).toMatchObject({ ok: false, code: 'unknown_key' });
    const tofu = new ManifestTrust(new Map(), { trustOnFirstUse: true });
    const pinned: string[] = [];
    tofu.onPin = (id) => pinned.push(id);
    expect(tofu.verify(withKey).ok).toBe(true);
    expect(pinned).toEqual([keyId]);
    const other = pair();
    const otherId = keyIdOf(other.publicKey);
    expect(tofu.verify(signed(manifest(otherId, { publicKey: spki(other.publicKey) }), other.privateKey))).toMatchObject({ ok: false, code: 'unknown_key' });
  });

  it('loads PEM files by keyId and refuses files without an ed25519 key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-'));
    writeFileSync(join(dir, 'central.pem'), central.publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(dir, 'junk.pem'), 'not a key');
    expect([...loadCentralKeys([join(dir, 'central.pem')]).keys()]).toEqual([keyId]);
    expect(() => loadCentralKeys([join(dir, 'junk.pem')])).toThrow(expect.objectContaining({ code: 'bad_central_key' }));
  });
});
