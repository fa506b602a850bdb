import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dequantizeInt8Rows, quantizeInt8Rows } from './int8-codec.js';
import { mulberry32 } from '../common/seeded-rng.js';

const matrix = fc
  .record({ rows: fc.integer({ min: 0, max: 6 }), cols: fc.integer({ min: 1, max: 40 }) })
  .chain(({ rows, cols }) =>
    fc
      .array(fc.float({ min: -1e4, max: 1e4, noNaN: true }), { minLength: rows * cols, maxLength: rows * cols })
      .map((v) => ({ rows, cols, data: Float32Array.from(v) })),
  );

describe('int8 per-row quantization', () => {
  it('round-trips every element within scale/2 of its row', () => {
    fc.assert(
      fc.property(matrix, ({ rows, cols, data }) => {
        const m = quantizeInt8Rows(data, rows, cols);
        const out = dequantizeInt8Rows(m);
        for (let r = 0; r < rows; r++) {
          let maxAbs = 0;
          for (let c = 0; c < cols; c++) maxAbs = Math.max(maxAbs, Math.abs(data[r * cols + c]));
          expect(m.scales[r]).toBeCloseTo(maxAbs / 127, 5);
          for (let c = 0; c < cols; c++) {
            const x = data[r * cols + c];
            expect(Math.abs(out[r * cols + c] - x)).toBeLessThanOrEqual(m.scales[r] / 2 + Math.abs(x) * 1e-6);
          }
        }
      }),
    );
  });

  it('maps each row maximum to ±127 and an all-zero row to zeros with scale 0', () => {
    const m = quantizeInt8Rows(new Float32Array([0, 0, 0, 2, -4, 1]), 2, 3);
    expect(Array.from(m.scales)).toEqual([0, Math.fround(4 / 127)]);
    expect(Array.from(m.q)).toEqual([0, 0, 0, 64, -127, 32]);
  });

  it('stochastic rounding stays within one step and is unbiased on average', () => {
    const data = new Float32Array([1, 0.3, -0.71, 0.05]);
    const rng = mulberry32(3);
    const trials = 4000;
    const sum = new Float64Array(4);
    let scale = 0;
    for (let t = 0; t < trials; t++) {
      const m = quantizeInt8Rows(data, 1, 4, { rng });
      scale = m.scales[0];
      const out = dequantizeInt8Rows(m);
      for (let c = 0; c < 4; c++) {
        expect(Math.abs(out[c] - data[c])).toBeLessThan(scale * (1 + 1e-6));
        sum[c] += out[c];
      }
    }
    // Std of one draw ≤ scale/2, so the mean of 4000 is within ~4 sigma of x at 0.04·scale.
    for (let c = 0; c < 4; c++) expect(Math.abs(sum[c] / trials - data[c])).toBeLessThan(0.04 * scale);
  });

  it('uses caller-provided scales when given', () => {
    const m = quantizeInt8Rows(new Float32Array([0.5, -0.25]), 1, 2, { scales: new Float32Array([0.01]) });
    expect(Array.from(m.q)).toEqual([50, -25]);
  });
});
