import { Packr, Unpackr } from 'msgpackr';
import { z } from 'zod';
import { DomainError } from '@edgerec/proto-schemas';

/**
 * Binary building blocks shared by the delta and model codecs: a msgpack envelope whose
 * fields are raw byte strings (typed-array contents), and guarded decoding that turns any
 * failure into one DomainError code.
 *
 * Typed arrays are written in host byte order; every supported Node target is
 * little-endian, and {@link assertLittleEndian} fails loudly instead of corrupting data.
 */

/** A byte string field (msgpack `bin` decodes to a Buffer, which is a Uint8Array). */
export const Bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected bytes');

// Records/structures are off so the envelope is plain msgpack any decoder can read.
const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, copyBuffers: true });

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function assertLittleEndian(): void {
  if (!LITTLE_ENDIAN) throw new DomainError('unsupported_platform', 500, 'codec requires a little-endian host');
}

/** Packs a plain object (numbers, strings, null, Uint8Array, nested objects) to msgpack. */
export function packEnvelope(value: Record<string, unknown>): Uint8Array {
  assertLittleEndian();
  return packr.pack(value);
}

/** Unpacks msgpack; any parse failure becomes `DomainError(code, 400)`. */
export function unpackEnvelope(bytes: Uint8Array, code: string): unknown {
  if (!(bytes instanceof Uint8Array)) throw new DomainError(code, 400, 'payload is not a byte array');
  return guardDecode(code, () => unpackr.unpack(bytes));
}

/**
 * Runs a decoding step so that it can only throw DomainError: DomainErrors pass through,
 * anything else (RangeError from a typed-array view, msgpack parse errors) is rewrapped.
 */
export function guardDecode<T>(code: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof DomainError) throw e;
    const reason = e instanceof Error ? e.message : String(e);
    throw new DomainError(code, 400, `malformed payload: ${reason}`);
  }
}

/** Raw bytes of a typed array (a view, no copy). */
export const bytesOf = (a: Float32Array | Int8Array | Uint8Array): Uint8Array =>
  new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Copies `bytes` into a fresh, aligned Float32Array; checks the element count. */
export function readF32(bytes: Uint8Array, count: number, code: string, what: string): Float32Array {
  expectLength(bytes, count * 4, code, what);
  const out = new Float32Array(count);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/** Int8 view of `bytes` after checking the element count. */
export function readI8(bytes: Uint8Array, count: number, code: string, what: string): Int8Array {
  expectLength(bytes, count, code, what);
  return new Int8Array(bytes.buffer, bytes.byteOffset, count);
}

export function expectLength(bytes: Uint8Array, expected: number, code: string, what: string): void {
  if (bytes.length !== expected) {
    throw new DomainError(code, 400, `${what}: expected ${expected} bytes, got ${bytes.length}`);
  }
}

/** Throws `DomainError(code)` unless every element is finite. */
export function expectFinite(a: Float32Array, code: string, what: string): void {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) throw new DomainError(code, 400, `${what}: non-finite value at ${i}`);
  }
}
