import { Packr } from 'msgpackr';
import type { z } from 'zod';
import { formatIssues } from './issue-format.js';
import { MAX_MESSAGE_BYTES } from './limits.js';
import { PROTOCOL_VERSION } from './protocol-version.js';

/**
 * The one wire codec: plain msgpack (no msgpackr records or structure extensions),
 * so Python/Go/C clients can read and write it. Maps decode as plain objects and
 * `bin` as `Buffer`, which the schemas normalize to `Uint8Array`.
 */
const packr = new Packr({ useRecords: false, mapsAsObjects: true });

export type DecodeErrorCode = 'malformed' | 'invalid' | 'unsupported_version' | 'too_large';

/** Why bytes did not yield a message; `message` is meant for logs. */
export interface DecodeError {
  code: DecodeErrorCode;
  message: string;
}

/** Outcome of `decode`: failures are values, never exceptions. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: DecodeError };

/**
 * Encodes a message as msgpack. Validation is the receiver's job (`decode`); the
 * sender's types already constrain what it builds.
 *
 * @example
 * transport.publish(topics.nodeAcks(nodeId), encode(ack));
 */
export function encode(msg: unknown): Uint8Array {
  return packr.pack(msg);
}

const fail = (code: DecodeErrorCode, message: string): Result<never> => ({ ok: false, error: { code, message } });

/**
 * Decodes and validates one message. Never throws, whatever the bytes: oversized
 * input → `too_large` (checked before unpacking), undecodable msgpack → `malformed`,
 * an object whose `v` is present but not PROTOCOL_VERSION → `unsupported_version`,
 * a schema failure → `invalid`.
 *
 * @example
 * const r = decode(DeltaChunkMsg, payload);
 * if (!r.ok) log.warn({ code: r.error.code }, r.error.message);
 * else onChunk(r.value);
 */
export function decode<S extends z.ZodType>(
  schema: S,
  bytes: Uint8Array,
  maxBytes: number = MAX_MESSAGE_BYTES,
): Result<z.output<S>> {
  if (!(bytes instanceof Uint8Array)) return fail('malformed', 'payload is not binary');
  if (bytes.byteLength > maxBytes) {
    return fail('too_large', `payload of ${bytes.byteLength} bytes exceeds ${maxBytes}`);
  }
  let raw: unknown;
  try {
    raw = packr.unpack(bytes);
  } catch (e) {
    return fail('malformed', `not msgpack: ${e instanceof Error ? e.message : 'unpack failed'}`);
  }
  const version = versionOf(raw);
  if (version !== undefined && version !== PROTOCOL_VERSION) {
    return fail('unsupported_version', `protocol version ${version} is not supported (expected ${PROTOCOL_VERSION})`);
  }
  try {
    const parsed = schema.safeParse(raw);
    return parsed.success ? { ok: true, value: parsed.data } : fail('invalid', formatIssues(parsed.error));
  } catch (e) {
    // A refinement or transform that throws is still a refusal, not a crash.
    return fail('invalid', e instanceof Error ? e.message : 'validation failed');
  }
}

/** The `v` of a decoded map, printable; `undefined` when there is none to judge. */
function versionOf(raw: unknown): number | string | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !Object.hasOwn(raw, 'v')) return undefined;
  const v = (raw as { v: unknown }).v;
  if (typeof v === 'number') return v;
  return typeof v === 'string' ? JSON.stringify(v) : `of type ${v === null ? 'null' : typeof v}`;
}
