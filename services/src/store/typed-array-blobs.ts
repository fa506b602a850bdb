/**
 * Typed arrays ↔ SQLite BLOBs. Blobs are little-endian, the byte order of every platform
 * Node ships for, so files move between x86 and ARM edges unchanged.
 */

/** A zero-copy Buffer view of a typed array, for binding as a BLOB parameter. */
export const blobOf = (a: Float32Array | Int32Array | Uint32Array | Float64Array): Buffer =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Copies a BLOB into a fresh Float32Array (copy: a Buffer may be unaligned or pooled). */
export function float32Of(blob: Uint8Array): Float32Array {
  if (blob.byteLength % 4 !== 0) throw new Error(`blob of ${blob.byteLength} bytes is not a Float32Array`);
  const out = new Float32Array(blob.byteLength / 4);
  new Uint8Array(out.buffer).set(blob);
  return out;
}

/** Copies a BLOB into a fresh Float64Array. */
export function float64Of(blob: Uint8Array): Float64Array {
  if (blob.byteLength % 8 !== 0) throw new Error(`blob of ${blob.byteLength} bytes is not a Float64Array`);
  const out = new Float64Array(blob.byteLength / 8);
  new Uint8Array(out.buffer).set(blob);
  return out;
}

/** Copies a BLOB into a fresh Int32Array. */
export function int32Of(blob: Uint8Array): Int32Array {
  if (blob.byteLength % 4 !== 0) throw new Error(`blob of ${blob.byteLength} bytes is not an Int32Array`);
  const out = new Int32Array(blob.byteLength / 4);
  new Uint8Array(out.buffer).set(blob);
  return out;
}
