import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { densifyTopK, kFor, topKRows } from './topk-sparsify.js';

const matrix = fc
  .record({ rows: fc.integer({ min: 1, max: 5 }), cols: fc.integer({ min: 1, max: 30 }), k: fc.integer({ min: 1, max: 35 }) })
  .chain(({ rows, cols, k }) =>
    fc
      // a small integer range makes ties frequent, which is the tricky case
      .array(fc.integer({ min: -6, max: 6 }), { minLength: rows * cols, maxLength: rows * cols })
      .map((v) => ({ rows, cols, k, data: Float32Array.from(v) })),
  );

describe('per-row top-k sparsification', () => {
  it('keeps exactly min(k, cols) entries per row, none smaller in magnitude than any dropped one', () => {
    fc.assert(
      fc.property(matrix, ({ rows, cols, k, data }) => {
        const t = topKRows(data, rows, cols, { k });
        expect(t.k).toBe(Math.min(k, cols));
        for (let r = 0; r < rows; r++) {
          const kept = Array.from(t.indices.subarray(r * t.k, (r + 1) * t.k));
          expect(kept).toEqual([...kept].sort((a, b) => a - b));
          expect(new Set(kept).size).toBe(t.k);
          const keptMin = Math.min(...kept.map((c) => Math.abs(data[r * cols + c])));
          for (let c = 0; c < cols; c++) {
            if (!kept.includes(c)) expect(Math.abs(data[r * cols + c])).toBeLessThanOrEqual(keptMin);
          }
        }
      }),
    );
  });

  it('splits the input exactly into kept values plus residual', () => {
    fc.assert(
      fc.property(matrix, ({ rows, cols, k, data }) => {
        const t = topKRows(data, rows, cols, { k });
        const dense = densifyTopK(t);
        for (let i = 0; i < rows * cols; i++) expect(dense[i] + t.residual[i]).toBe(data[i]);
      }),
    );
  });

  it('keeps the largest magnitudes on a hand example, lower index first on ties', () => {
    const t = topKRows(new Float32Array([0.1, -3, 2, 0, 2]), 1, 5, { k: 2 });
    expect(Array.from(t.indices)).toEqual([1, 2]);
    expect(Array.from(t.values)).toEqual([-3, 2]);
    expect(Array.from(t.residual)).toEqual([Math.fround(0.1), 0, 0, 0, 2]);
  });

  it('derives k from a fraction, at least 1 and at most cols', () => {
    expect(kFor(64, { fraction: 0.1 })).toBe(6);
    expect(kFor(5, { fraction: 0.01 })).toBe(1);
    expect(kFor(5, { k: 99 })).toBe(5);
  });
});
