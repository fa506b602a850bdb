import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  candidateCount, int16QueryMax, int8Stride, INT8_ZERO_ROW_MAX, quantizeQueryInt16, quantizeRowInt8,
} from './int8-quantizer.js';
import { SimdScorer } from './simd-scorer.js';

const F32_MAX = 3.4028234663852886e38;
/** finite float32 values across the whole range: subnormals, ±0, extremes, ordinary */
const finite = fc.oneof(
  fc.float({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, F32_MAX, -F32_MAX, 1.4e-45, -1.4e-45, 1.1754943508222875e-38),
  fc.double({ min: -2, max: 2, noNaN: true }).map(Math.fround),
);
const anyValue = fc.oneof({ weight: 6, arbitrary: finite }, { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Infinity, -Infinity) });

function quantize(row: number[]): { q: Int8Array; scale: number } {
  const q = new Int8Array(int8Stride(row.length)).fill(99); // garbage the quantizer must overwrite
  const scale = quantizeRowInt8(Float32Array.from(row), 0, row.length, q, 0);
  return { q, scale };
}

describe('quantizeRowInt8', () => {
  it('dequantized error is at most scale/2 (float32 rounding aside) for every finite element', () => {
    fc.assert(
      fc.property(fc.array(finite, { minLength: 1, maxLength: 70 }), (values) => {
        const row = Array.from(Float32Array.from(values));
        const { q, scale } = quantize(row);
        expect(Number.isFinite(scale) && scale >= 0).toBe(true);
        for (let k = 0; k < row.length; k++) {
          const err = Math.abs(row[k] - q[k] * scale);
          if (scale === 0) expect(Math.abs(row[k])).toBeLessThan(INT8_ZERO_ROW_MAX);
          else expect(err).toBeLessThanOrEqual(scale * (0.5 + 1e-4));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('never produces NaN or -128, counts non-finite elements as 0 and zero-pads to the stride', () => {
    fc.assert(
      fc.property(fc.array(anyValue, { minLength: 1, maxLength: 40 }), (row) => {
        const { q, scale } = quantize(row);
        expect(Number.isFinite(scale)).toBe(true);
        const bad = Array.from(q).filter((v, k) =>
          v < -127 || v > 127 || Number.isNaN(v * scale) || ((k >= row.length || !Number.isFinite(row[k])) && v !== 0));
        expect(bad).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it('maps a zero row (and a row below 2^-100) to zeros with scale 0', () => {
    for (const row of [[0, 0, 0], [-0, 0], [1e-31, -1e-32, 0], [Number.NaN, 0, Infinity]]) {
      const { q, scale } = quantize(row);
      expect(scale).toBe(0);
      expect(Array.from(q).every((v) => v === 0)).toBe(true);
    }
  });

  it('uses the full int8 range at the extremes: max|x| maps to ±127, signs and halves round to even', () => {
    expect(Array.from(quantize([F32_MAX, -F32_MAX, 0]).q.subarray(0, 3))).toEqual([127, -127, 0]);
    const { q, scale } = quantize([127, 0.5, 1.5, -2.5, -127]);
    expect(scale).toBe(1);
    expect(Array.from(q.subarray(0, 5))).toEqual([127, 0, 2, -2, -127]);
  });
});

describe('wasm quantizer (int8-kernel.wat)', () => {
  it('writes exactly what quantizeRowInt8 computes, for any shape and value', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }).chain((d) =>
          fc.tuple(fc.constant(d), fc.array(fc.array(anyValue, { minLength: d, maxLength: d }), { maxLength: 9 }))),
        ([d, rows]) => {
          const s = SimdScorer.create(rows.length, d);
          rows.forEach((r, i) => s.itemEmb.set(r, i * d));
          expect(s.int8.refresh()).toBe(rows.length); // fresh scorer: every row is stale
          const stride = int8Stride(d);
          const ref = new Int8Array(stride);
          rows.forEach((_, i) => {
            const scale = quantizeRowInt8(s.itemEmb, i * d, d, ref, 0);
            expect(s.int8.scales[i]).toBe(scale);
            expect(Array.from(s.int8.rows.subarray(i * stride, (i + 1) * stride))).toEqual(Array.from(ref));
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('quantizeQueryInt16', () => {
  it('approximates the query within scale/2 per element and keeps int8·int16 dot products inside int32', () => {
    fc.assert(
      fc.property(fc.array(finite, { minLength: 1, maxLength: 600 }), (values) => {
        const q = Float32Array.from(values);
        const out = new Int16Array(int8Stride(q.length));
        const scale = quantizeQueryInt16(q, out);
        const qmax = int16QueryMax(q.length);
        expect(127 * qmax * q.length).toBeLessThanOrEqual(2 ** 31 - 1);
        for (let k = 0; k < out.length; k++) {
          expect(Math.abs(out[k])).toBeLessThanOrEqual(qmax);
          if (k >= q.length) expect(out[k]).toBe(0);
          else if (scale > 0) expect(Math.abs(q[k] - out[k] * scale)).toBeLessThanOrEqual(scale * (0.5 + 1e-9));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('returns NaN for a non-finite query and 0 for a zero query', () => {
    expect(quantizeQueryInt16(Float32Array.of(1, Number.NaN), new Int16Array(16))).toBeNaN();
    expect(quantizeQueryInt16(Float32Array.of(Infinity, 0), new Int16Array(16))).toBeNaN();
    const out = new Int16Array(16).fill(5);
    expect(quantizeQueryInt16(Float32Array.of(0, -0), out)).toBe(0);
    expect(Array.from(out).every((v) => v === 0)).toBe(true);
  });
});

describe('candidateCount', () => {
  it('is max(k·rerank, k + minCandidates), capped by the heap and the catalog', () => {
    expect(candidateCount(10, 50_000, 1024, { rerank: 8, minCandidates: 32 })).toBe(80);
    expect(candidateCount(1, 50_000, 1024, { rerank: 8, minCandidates: 32 })).toBe(33);
    expect(candidateCount(10, 50, 1024, { rerank: 8 })).toBe(50);
    expect(candidateCount(500, 50_000, 1024, { rerank: 8 })).toBe(1024);
  });
});
