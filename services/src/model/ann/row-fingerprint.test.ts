import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gaussian, mulberry32 } from '../../common/seeded-rng.js';
import { createWeights, type ModelWeights } from '../weights.js';
import { copyIndexRows, hnswLayout } from './index-rows.js';
import { diffFingerprints, fingerprintIndexRows, fingerprintRows } from './row-fingerprint.js';

function randomWeights(n: number, d: number, seed: number): ModelWeights {
  const g = gaussian(mulberry32(seed));
  const w = createWeights(n, d);
  for (let i = 0; i < w.itemEmb.length; i++) w.itemEmb[i] = 0.1 * g();
  for (let i = 0; i < n; i++) w.itemBias[i] = 0.02 * g();
  return w;
}

describe('row fingerprints', () => {
  it('index vectors copied from the weights fingerprint as the weights do', () => {
    const w = randomWeights(300, 7, 1);
    const { stride } = hnswLayout('l2-mips', 7);
    const rows = new Float32Array(300 * stride);
    copyIndexRows(w, 0, 300, rows, stride, new Float64Array(300));
    const a = new Uint32Array(300);
    const b = new Uint32Array(300);
    fingerprintRows(w, 0, 300, a);
    fingerprintIndexRows(rows, stride, 7, 0, 150, b);
    fingerprintIndexRows(rows, stride, 7, 150, 300, b);
    expect(b).toEqual(a);
    expect(new Set(a).size).toBe(300); // distinct rows, distinct fingerprints
  });

  it('any change of one value of a row (to any other bit pattern) changes its fingerprint', () => {
    const w = randomWeights(20, 9, 2);
    const kept = new Uint32Array(20);
    fingerprintRows(w, 0, 20, kept);
    const bitsOf = (x: number) => new Uint32Array(Float32Array.of(x).buffer)[0];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 19 }), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 0xffffffff }), (row, k, bits) => {
        const target = k === 9 ? w.itemBias : w.itemEmb;
        const at = k === 9 ? row : row * 9 + k;
        const old = target[at];
        const words = new Uint32Array(target.buffer, target.byteOffset, target.length);
        const oldBits = words[at];
        words[at] = bits;
        const changed: number[] = [];
        diffFingerprints(w, kept, 0, 20, (r) => changed.push(r));
        words[at] = oldBits;
        expect(target[at]).toBe(old);
        expect(changed).toEqual(bits === oldBits ? [] : [row]);
      }),
      { numRuns: 300 },
    );
    expect(bitsOf(-0)).not.toBe(bitsOf(0)); // −0 counts as a change: harmless, one more exact score
  });

  it('diffFingerprints reports only rows inside its range and returns their count', () => {
    const w = randomWeights(50, 4, 3);
    const kept = new Uint32Array(50);
    fingerprintRows(w, 0, 50, kept);
    for (const r of [3, 17, 40]) w.itemBias[r] += 1e-3;
    const seen: number[] = [];
    expect(diffFingerprints(w, kept, 10, 50, (r) => seen.push(r))).toBe(2);
    expect(seen).toEqual([17, 40]);
  });
});
