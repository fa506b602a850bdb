import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DomainError } from '@edgerec/proto-schemas';
import { decodeRice, encodeRice } from './rice-coding.js';

describe('Rice coding', () => {
  it('round-trips any uint32 sequence', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.nat(20), fc.nat({ max: 0xffffffff }))), (values) => {
        const bytes = encodeRice(values);
        expect(Array.from(decodeRice(bytes, values.length, 'bad'))).toEqual(values);
      }),
    );
  });

  it('spends about log2(mean)+2 bits per value on geometric-like gaps', () => {
    const values = Array.from({ length: 1000 }, (_, i) => (i * 7919) % 16);
    expect(encodeRice(values).length).toBeLessThan(1000 * 6 / 8);
  });

  it('rejects truncated streams, wrong counts and trailing bytes with DomainError', () => {
    const bytes = encodeRice([5, 900, 3, 70000]);
    expect(() => decodeRice(bytes.subarray(0, bytes.length - 1), 4, 'bad')).toThrow(DomainError);
    expect(() => decodeRice(bytes, 5, 'bad')).toThrow(DomainError);
    const padded = new Uint8Array(bytes.length + 1);
    padded.set(bytes);
    expect(() => decodeRice(padded, 4, 'bad')).toThrow(DomainError);
    expect(() => decodeRice(new Uint8Array([40]), 0, 'bad')).toThrow(DomainError);
  });
});
