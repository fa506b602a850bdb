import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resized } from './typed-array-resize.js';

describe('resized', () => {
  it('keeps the prefix, pads with the fill value and keeps the array type', () => {
    expect(resized(Uint32Array.of(3, 4), 3)).toEqual(Uint32Array.of(3, 4, 0));
    expect(resized(Float32Array.of(1, 2, 3), 2)).toEqual(Float32Array.of(1, 2));
    expect(resized(Float32Array.of(1), 3, 0.5)).toEqual(Float32Array.of(1, 0.5, 0.5));
    fc.assert(fc.property(fc.array(fc.nat()), fc.nat({ max: 50 }), (xs, n) => {
      const a = Float64Array.from(xs);
      const b = resized(a, n, 7);
      expect(b).toBeInstanceOf(Float64Array);
      expect(b.length).toBe(n);
      for (let i = 0; i < n; i++) expect(b[i]).toBe(i < xs.length ? xs[i] : 7);
    }));
  });
});
