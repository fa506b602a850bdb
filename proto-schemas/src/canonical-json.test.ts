import { generateKeyPairSync, sign, verify } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, canonicalManifestBytes } from './canonical-json.js';
import { decode, encode } from './codec.js';
import { modelManifestArb } from './message-arbitraries.js';
import { ModelManifestMsg, type UnsignedModelManifest } from './model-messages.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');

function signed(unsigned: UnsignedModelManifest): ModelManifestMsg {
  const signature = sign(null, canonicalManifestBytes(unsigned), privateKey).toString('base64');
  return ModelManifestMsg.parse({ ...unsigned, signature });
}

const verifies = (m: ModelManifestMsg) =>
  verify(null, canonicalManifestBytes(m), publicKey, Buffer.from(m.signature, 'base64'));

function shuffledKeys(value: Record<string, unknown>, order: number[]): Record<string, unknown> {
  const keys = Object.keys(value);
  const picked = keys.map((k, i) => [order[i % order.length] ?? i, k] as const).sort((a, b) => a[0] - b[0]);
  return Object.fromEntries(picked.map(([, k]) => [k, value[k]]));
}

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined properties', () => {
    expect(canonicalJson({ b: 1, a: { d: [true, null], c: 'x' }, z: undefined })).toBe('{"a":{"c":"x","d":[true,null]},"b":1}');
  });

  it('does not depend on key insertion order', () => {
    fc.assert(
      fc.property(modelManifestArb, fc.array(fc.nat(), { minLength: 1 }), (m, order) => {
        expect(canonicalJson(shuffledKeys(m, order))).toBe(canonicalJson(m));
      }),
      { numRuns: 100 },
    );
  });

  it('refuses values JSON cannot carry instead of coercing them', () => {
    for (const bad of [{ x: Number.NaN }, { x: Infinity }, { x: new Uint8Array(1) }, { x: new Date(0) }, { x: 1n }]) {
      expect(() => canonicalJson(bad)).toThrow(expect.objectContaining({ code: 'not_canonical' }));
    }
  });
});

describe('canonicalManifestBytes', () => {
  it('ignores the signature field, so signer and verifier see the same bytes', () => {
    fc.assert(
      fc.property(modelManifestArb, (m) => {
        const { signature: _s, ...unsigned } = m;
        expect(canonicalManifestBytes(m)).toEqual(canonicalManifestBytes(unsigned));
      }),
      { numRuns: 50 },
    );
  });

  it('lets an Ed25519 signature verify after the manifest travels through the codec', () => {
    fc.assert(
      fc.property(modelManifestArb, (m) => {
        const sent = signed(m);
        const r = decode(ModelManifestMsg, encode(sent));
        expect(r.ok && verifies(r.value)).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('makes the signature fail when any signed field changes', () => {
    fc.assert(
      fc.property(modelManifestArb, (m) => {
        const sent = signed(m);
        expect(verifies({ ...sent, version: sent.version + 1 })).toBe(false);
        expect(verifies({ ...sent, keyId: `${sent.keyId}x` })).toBe(false);
        expect(verifies({ ...sent, metrics: { ...sent.metrics, injected: 1 } })).toBe(false);
      }),
      { numRuns: 20 },
    );
  });

  it('keeps fields unknown to this version, so the signature still covers them', () => {
    const [m] = fc.sample(modelManifestArb, { numRuns: 1, seed: 11 });
    const sent = signed({ ...m, rolloutPercent: 25 });
    const r = decode(ModelManifestMsg, encode(sent));
    expect(r.ok && r.value.rolloutPercent).toBe(25);
    expect(r.ok && verifies(r.value)).toBe(true);
    expect(r.ok && verifies({ ...r.value, rolloutPercent: 100 })).toBe(false);
  });
});
