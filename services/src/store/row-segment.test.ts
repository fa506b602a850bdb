import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRowSegment, encodeRowSegment, mergeOverlays, type RowOverlay } from './row-segment.js';

const DIM = 3;
const source = (n: number, seed: number) => ({
  dim: DIM,
  emb: Float32Array.from({ length: n * DIM }, (_, i) => seed + i / 8),
  bias: Float32Array.from({ length: n }, (_, i) => seed - i),
  accum: Float32Array.from({ length: n }, (_, i) => i / 4),
  counts: Uint32Array.from({ length: n }, (_, i) => i + seed),
});
const byRow = (rows: readonly number[], src: ReturnType<typeof source>): RowOverlay => {
  const blob = encodeRowSegment(rows, src, (_j, row) => row);
  return decodeRowSegment(blob, DIM);
};

describe('row segments', () => {
  it('round-trips any rows of any source, from the live arrays or a compact snapshot', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat({ max: 63 }), { maxLength: 40 }), fc.integer({ min: -5, max: 5 }), (rows, seed) => {
        const live = source(64, seed);
        const got = byRow(rows, live);
        expect(Array.from(got.rows)).toEqual(rows);
        rows.forEach((r, j) => {
          expect(Array.from(got.emb.subarray(j * DIM, (j + 1) * DIM))).toEqual(Array.from(live.emb.subarray(r * DIM, (r + 1) * DIM)));
          expect([got.bias[j], got.accum[j], got.counts[j]]).toEqual([live.bias[r], live.accum[r], live.counts[r]]);
        });
        const compact = source(rows.length, seed);
        const again = decodeRowSegment(encodeRowSegment(rows, compact, (j) => j), DIM);
        expect(again.emb).toEqual(compact.emb);
        expect(again.counts).toEqual(compact.counts);
      }),
      { numRuns: 200 },
    );
  });

  it('encodes a sub-range of the rows', () => {
    const got = decodeRowSegment(encodeRowSegment([4, 9, 2, 7], source(10, 1), (_j, r) => r, 1, 3), DIM);
    expect(Array.from(got.rows)).toEqual([9, 2]);
  });

  it('refuses bytes that are not a segment of this dim, whatever they are', () => {
    const good = encodeRowSegment([1, 2], source(4, 0), (_j, r) => r);
    expect(() => decodeRowSegment(good, DIM + 1)).toThrow(/dim/);
    expect(() => decodeRowSegment(good.subarray(0, good.length - 4), DIM)).toThrow(/length/);
    expect(() => decodeRowSegment(Buffer.from('not a segment'), DIM)).toThrow(/malformed|header/);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        let decoded: RowOverlay | undefined;
        try {
          decoded = decodeRowSegment(bytes, DIM);
        } catch (e) {
          expect((e as Error).message).toMatch(/row segment/);
        }
        if (decoded) expect(decoded.emb.length).toBe(decoded.rows.length * DIM);
      }),
      { numRuns: 500 },
    );
  });

  it('merges in order: a later segment wins a row, rows come out ascending', () => {
    const older = byRow([5, 1, 3], source(8, 1));
    const newer = byRow([3, 0], source(8, 9));
    const merged = mergeOverlays([older, newer], 8, DIM);
    expect(Array.from(merged.rows)).toEqual([0, 1, 3, 5]);
    expect(merged.bias[2]).toBe(source(8, 9).bias[3]);
    expect(merged.bias[1]).toBe(source(8, 1).bias[1]);
    expect(() => mergeOverlays([older], 4, DIM)).toThrow(/beyond/);
  });
});
