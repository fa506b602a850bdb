import { DomainError } from './domain-error.js';
import type { UnsignedModelManifest } from './model-messages.js';

/**
 * Deterministic JSON for signing. Chosen over msgpack because every language has a
 * JSON encoder that agrees on this subset: it is RFC 8785 (JCS) for the values a
 * manifest holds — keys sorted by UTF-16 code units, no whitespace, numbers in
 * ECMAScript shortest form, strings escaped as `JSON.stringify` does; properties whose
 * value is `undefined` are omitted. Non-JSON values (NaN, Infinity, bytes, dates,
 * bigint) throw `DomainError('not_canonical')` instead of being coerced silently.
 *
 * @example
 * canonicalJson({ b: 1, a: [true, null] }); // '{"a":[true,null],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  return write(value, '$');
}

function write(value: unknown, at: string): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new DomainError('not_canonical', 400, `${at} is not a finite number`);
    return JSON.stringify(value); // -0 prints as 0, as JCS requires
  }
  if (Array.isArray(value)) return `[${value.map((v, i) => write(v ?? null, `${at}[${i}]`)).join(',')}]`;
  if (typeof value === 'object' && isPlainObject(value)) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${write(record[k], `${at}.${k}`)}`).join(',')}}`;
  }
  throw new DomainError('not_canonical', 400, `${at} is not a JSON value (${describe(value)})`);
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (typeof value !== 'object' || value === null) return typeof value;
  return Object.getPrototypeOf(value)?.constructor?.name ?? 'object';
}

/**
 * The bytes a manifest signature covers: UTF-8 of `canonicalJson` of the manifest
 * with `signature` removed (every other field, `keyId` included, is signed). Passing
 * a signed manifest is fine — the signature is dropped first — so verifiers can call
 * it on what they received.
 *
 * @example
 * const ok = verify(null, canonicalManifestBytes(manifest), publicKey, Buffer.from(manifest.signature, 'base64'));
 */
export function canonicalManifestBytes(manifest: UnsignedModelManifest & { signature?: string }): Uint8Array {
  const { signature: _signature, ...unsigned } = manifest;
  return new TextEncoder().encode(canonicalJson(unsigned));
}
