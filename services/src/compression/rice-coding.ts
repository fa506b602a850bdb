import { DomainError } from '@edgerec/proto-schemas';

/**
 * Golomb–Rice coding of non-negative integers (< 2^32): each value v is written as
 * ⌊v / 2^p⌋ one-bits, a zero-bit, then the low p bits. The encoder picks the p that makes
 * the stream shortest; it is stored in the first byte.
 *
 * Used for sorted row ids / column indices (as gaps) and small counts, where it costs a few
 * bits per value instead of the 8–32 of a byte-aligned format, which is what keeps a top-k
 * int8 delta under 5 % of its dense float32 size.
 *
 * @example
 * const bytes = encodeRice([3, 0, 7, 1]);
 * decodeRice(bytes, 4, 'bad_delta'); // Uint32Array [3, 0, 7, 1]
 */
export function encodeRice(values: ArrayLike<number>): Uint8Array {
  const p = bestParameter(values);
  const div = 2 ** p;
  let bits = 8;
  for (let i = 0; i < values.length; i++) bits += Math.floor(values[i] / div) + 1 + p;
  const out = new Uint8Array(Math.ceil(bits / 8));
  out[0] = p;
  let pos = 8;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) {
      throw new DomainError('bad_encoding', 400, `rice: value ${v} is not a uint32`);
    }
    const q = Math.floor(v / div);
    for (let j = 0; j < q; j++, pos++) out[pos >>> 3] |= 0x80 >>> (pos & 7);
    pos++; // terminating zero bit
    const r = v - q * div;
    for (let b = p - 1; b >= 0; b--, pos++) {
      if (Math.floor(r / 2 ** b) & 1) out[pos >>> 3] |= 0x80 >>> (pos & 7);
    }
  }
  return out;
}

/**
 * Decodes exactly `count` values; throws `DomainError(code)` when the stream is truncated,
 * a value overflows uint32, or bytes are left over (so inconsistent lengths are caught).
 */
export function decodeRice(bytes: Uint8Array, count: number, code: string): Uint32Array {
  if (bytes.length < 1) throw new DomainError(code, 400, 'rice: empty stream');
  const p = bytes[0];
  if (p > 32) throw new DomainError(code, 400, `rice: bad parameter ${p}`);
  // Every value takes at least p+1 bits: reject impossible counts before allocating.
  const totalBits = (bytes.length - 1) * 8;
  if (count * (p + 1) > totalBits) throw new DomainError(code, 400, 'rice: stream too short for count');
  const div = 2 ** p;
  const maxQ = Math.floor(0xffffffff / div);
  const out = new Uint32Array(count);
  let pos = 8;
  const end = bytes.length * 8;
  const bit = (): number => {
    if (pos >= end) throw new DomainError(code, 400, 'rice: truncated stream');
    const b = (bytes[pos >>> 3] >>> (7 - (pos & 7))) & 1;
    pos++;
    return b;
  };
  for (let i = 0; i < count; i++) {
    let q = 0;
    while (bit() === 1) {
      if (++q > maxQ) throw new DomainError(code, 400, 'rice: value overflows uint32');
    }
    let r = 0;
    for (let b = 0; b < p; b++) r = r * 2 + bit();
    const v = q * div + r;
    if (v > 0xffffffff) throw new DomainError(code, 400, 'rice: value overflows uint32');
    out[i] = v;
  }
  if (Math.ceil(pos / 8) !== bytes.length) throw new DomainError(code, 400, 'rice: trailing bytes');
  return out;
}

/** The Rice parameter with the fewest total bits (cost is convex in p, so stop at the rise). */
function bestParameter(values: ArrayLike<number>): number {
  let best = 0;
  let bestCost = Infinity;
  for (let p = 0; p <= 32; p++) {
    const div = 2 ** p;
    let cost = 0;
    for (let i = 0; i < values.length; i++) cost += Math.floor(values[i] / div) + 1 + p;
    if (cost < bestCost) {
      best = p;
      bestCost = cost;
    } else break;
  }
  return best;
}

/** Gaps of a strictly increasing sequence: first value, then differences minus one. */
export function toGaps(sorted: ArrayLike<number>, from = 0, to = sorted.length): Uint32Array {
  const out = new Uint32Array(to - from);
  let prev = -1;
  for (let i = from; i < to; i++) {
    out[i - from] = sorted[i] - prev - 1;
    prev = sorted[i];
  }
  return out;
}

/**
 * Inverse of {@link toGaps}, in place; throws `DomainError(code)` when a value reaches `limit`
 * (for example a column index ≥ dim).
 */
export function fromGapsInPlace(gaps: Uint32Array, from: number, to: number, limit: number, code: string): void {
  let prev = -1;
  for (let i = from; i < to; i++) {
    const v = prev + 1 + gaps[i];
    if (v >= limit) throw new DomainError(code, 400, `index ${v} out of range (limit ${limit})`);
    gaps[i] = v;
    prev = v;
  }
}
