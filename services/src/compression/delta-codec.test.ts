import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DomainError } from '@edgerec/proto-schemas';
import type { SparseDelta } from '../model/weights.js';
import { decodeDelta, denseBytes, encodeDelta } from './delta-codec.js';
import { scaleCodeFor, scaleFromCode } from './scale-code.js';
import { mulberry32 } from '../common/seeded-rng.js';
import { syntheticDelta } from '../federation/synthetic-delta.js';

/** Random deltas with unique (unsorted) rows, varied magnitudes and optional adapter. */
const arbDelta: fc.Arbitrary<SparseDelta> = fc
  .record({
    dim: fc.integer({ min: 1, max: 12 }),
    rows: fc.uniqueArray(fc.nat({ max: 5000 }), { maxLength: 12 }),
    seed: fc.nat(),
    magnitude: fc.constantFrom(1e-6, 0.01, 1, 300),
    adapterLength: fc.integer({ min: -1, max: 40 }), // -1: no adapter; 0: touched but empty
  })
  .map(({ dim, rows, seed, magnitude, adapterLength }) => {
    const rng = mulberry32(seed);
    const val = () => (rng() * 2 - 1) * magnitude * (rng() < 0.1 ? 0 : 1);
    const n = rows.length;
    return {
      dim,
      rows: Uint32Array.from(rows),
      emb: Float32Array.from({ length: n * dim }, val),
      bias: Float32Array.from({ length: n }, val),
      rowCounts: Uint32Array.from({ length: n }, () => Math.floor(rng() * 1000)),
      adapter: adapterLength >= 0 ? Float32Array.from({ length: adapterLength }, val) : null,
      adapterCount: adapterLength >= 0 ? 3 : 0,
      samples: 17,
    };
  });

/** Decoded rows are ascending: map each decoded row back to its input position. */
function byRow(d: SparseDelta): Map<number, number> {
  return new Map(Array.from(d.rows, (r, j) => [r, j]));
}

/** Largest error the int8 row codec may make: half the log-grid scale of the row. */
const rowBound = (values: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]));
  return scaleFromCode(scaleCodeFor(m)) / 2 * (1 + 1e-6);
};

describe('delta codec', () => {
  it("'none' round-trips exactly (rows come back ascending)", () => {
    fc.assert(
      fc.property(arbDelta, (d) => {
        const out = decodeDelta(encodeDelta(d, 'none'));
        expect(Array.from(out.rows)).toEqual(Array.from(d.rows).sort((a, b) => a - b));
        const pos = byRow(d);
        for (let j = 0; j < out.rows.length; j++) {
          const i = pos.get(out.rows[j])!;
          expect(out.emb.subarray(j * d.dim, (j + 1) * d.dim)).toEqual(d.emb.subarray(i * d.dim, (i + 1) * d.dim));
          expect(out.bias[j]).toBe(d.bias[i]);
          expect(out.rowCounts[j]).toBe(d.rowCounts[i]);
        }
        expect(out.adapter).toEqual(d.adapter);
        expect([out.samples, out.adapterCount, out.dim]).toEqual([d.samples, d.adapterCount, d.dim]);
      }),
    );
  });

  it("'int8' keeps every element within half its row scale (bias: half the bias scale)", () => {
    fc.assert(
      fc.property(arbDelta, fc.boolean(), (d, stochastic) => {
        const out = decodeDelta(encodeDelta(d, 'int8', stochastic ? { rng: mulberry32(9) } : {}));
        const pos = byRow(d);
        const slack = stochastic ? 2 : 1; // stochastic rounding: error < one full step
        const biasBound = (Math.max(0, ...Array.from(d.bias, Math.abs)) / 127 / 2) * slack * (1 + 1e-5);
        for (let j = 0; j < out.rows.length; j++) {
          const i = pos.get(out.rows[j])!;
          const row = d.emb.subarray(i * d.dim, (i + 1) * d.dim);
          const bound = rowBound(row) * slack;
          for (let c = 0; c < d.dim; c++) expect(Math.abs(out.emb[j * d.dim + c] - row[c])).toBeLessThanOrEqual(bound);
          expect(Math.abs(out.bias[j] - d.bias[i])).toBeLessThanOrEqual(biasBound + 1e-12);
        }
        if (d.adapter) {
          // quantized in blocks of dim values (the last one may be short), one scale each
          expect(out.adapter!.length).toBe(d.adapter.length);
          for (let r = 0; r < d.adapter.length / d.dim; r++) {
            const row = d.adapter.subarray(r * d.dim, (r + 1) * d.dim);
            const bound = rowBound(row) * slack;
            for (let c = 0; c < row.length; c++) expect(Math.abs(out.adapter![r * d.dim + c] - row[c])).toBeLessThanOrEqual(bound);
          }
        } else expect(out.adapter).toBeNull();
      }),
    );
  });

  it("'topk-int8' sends at most k entries per row: the largest ones, within half the row scale", () => {
    fc.assert(
      fc.property(arbDelta, fc.integer({ min: 1, max: 4 }), (d, k) => {
        const out = decodeDelta(encodeDelta(d, 'topk-int8', { topK: { k } }));
        const pos = byRow(d);
        for (let j = 0; j < out.rows.length; j++) {
          const i = pos.get(out.rows[j])!;
          const row = d.emb.subarray(i * d.dim, (i + 1) * d.dim);
          const bound = rowBound(row);
          const dec = out.emb.subarray(j * d.dim, (j + 1) * d.dim);
          const sent = Array.from(dec.keys()).filter((c) => dec[c] !== 0);
          expect(sent.length).toBeLessThanOrEqual(Math.min(k, d.dim));
          const sentMin = Math.min(...sent.map((c) => Math.abs(row[c])));
          for (let c = 0; c < d.dim; c++) {
            if (dec[c] !== 0) expect(Math.abs(dec[c] - row[c])).toBeLessThanOrEqual(bound);
            // dropped (or quantized to 0): no larger than any sent entry, or negligible
            else expect(Math.abs(row[c]) <= sentMin || Math.abs(row[c]) <= bound).toBe(true);
          }
        }
      }),
    );
  });

  it('topk-int8 with k = 10% of dim 64 is under 5% of dense float32 bytes', () => {
    const d = syntheticDelta(mulberry32(1), { numItems: 20_000, dim: 64, rows: 2000, adapterLength: 2 * 64 * 4 + 1 });
    const ratio = encodeDelta(d, 'topk-int8', { topK: { fraction: 0.1 } }).length / denseBytes(d);
    expect(ratio).toBeLessThan(0.05);
    expect(encodeDelta(d, 'int8').length / denseBytes(d)).toBeLessThan(0.27);
    expect(denseBytes(d)).toBe(2000 * 65 * 4 + (2 * 64 * 4 + 1) * 4);
  });

  it('rejects duplicate rows, non-finite values and inconsistent lengths when encoding', () => {
    const d = syntheticDelta(mulberry32(2), { numItems: 100, dim: 4, rows: 3 });
    const dup = { ...d, rows: Uint32Array.from([1, 5, 1]) };
    expect(() => encodeDelta(dup, 'none')).toThrow(DomainError);
    const nan = { ...d, emb: d.emb.slice() };
    nan.emb[2] = NaN;
    expect(() => encodeDelta(nan, 'int8')).toThrow(/non-finite/);
    expect(() => encodeDelta({ ...d, bias: new Float32Array(2) }, 'none')).toThrow(DomainError);
  });

  it('decoding arbitrary bytes throws nothing but DomainError bad_delta', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => expectOnlyBadDelta(bytes)),
      { numRuns: 500 },
    );
  });

  it('decoding a corrupted or truncated valid payload throws nothing but DomainError bad_delta', () => {
    fc.assert(
      fc.property(
        arbDelta,
        fc.constantFrom('none', 'int8', 'topk-int8' as const),
        fc.array(fc.record({ at: fc.nat(), value: fc.nat(255) }), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        (d, codec, flips, cut) => {
          const bytes = encodeDelta(d, codec).slice();
          for (const f of flips) bytes[f.at % bytes.length] = f.value;
          expectOnlyBadDelta(bytes);
          expectOnlyBadDelta(bytes.subarray(0, cut % bytes.length));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a payload that would decode to more values than allowed', () => {
    const d = syntheticDelta(mulberry32(3), { numItems: 1000, dim: 16, rows: 100 });
    expect(() => decodeDelta(encodeDelta(d, 'topk-int8'), { maxValues: 1000 })).toThrow(/exceeds/);
  });
});

function expectOnlyBadDelta(bytes: Uint8Array): void {
  try {
    const d = decodeDelta(bytes);
    // Survivors must be internally consistent.
    expect(d.emb.length).toBe(d.rows.length * d.dim);
    expect(d.bias.length).toBe(d.rows.length);
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    expect((e as DomainError).code).toBe('bad_delta');
  }
}
