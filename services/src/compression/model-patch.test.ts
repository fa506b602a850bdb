import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DomainError } from '@edgerec/proto-schemas';
import { cloneWeights, createWeights, type ModelWeights } from '../model/weights.js';
import { applyPatch, decodePatch, decodeSnapshot, encodePatch, encodeSnapshot } from './model-patch.js';
import { gaussian, mulberry32 } from '../common/seeded-rng.js';

function randomWeights(seed: number, numItems: number, dim: number): ModelWeights {
  const normal = gaussian(mulberry32(seed));
  const w = createWeights(numItems, dim, 2);
  for (let i = 0; i < w.itemEmb.length; i++) w.itemEmb[i] = normal() * 0.1;
  for (let i = 0; i < w.itemBias.length; i++) w.itemBias[i] = normal();
  for (let i = 0; i < w.adapter.length; i++) w.adapter[i] = normal() * 0.05;
  return w;
}

/** Max |a − b| per item row divided by that row's int8 half-step in `ref`. */
function worstRowError(a: ModelWeights, b: ModelWeights, ref: ModelWeights): number {
  let worst = 0;
  for (let r = 0; r < ref.numItems; r++) {
    let maxAbs = 0;
    for (let c = 0; c < ref.dim; c++) maxAbs = Math.max(maxAbs, Math.abs(ref.itemEmb[r * ref.dim + c]));
    const half = maxAbs / 127 / 2 + 1e-12;
    for (let c = 0; c < ref.dim; c++) {
      worst = Math.max(worst, Math.abs(a.itemEmb[r * ref.dim + c] - b.itemEmb[r * ref.dim + c]) / half);
    }
  }
  return worst;
}

describe('model snapshot', () => {
  it('int8 snapshot round-trips item rows within half a row step, biases and adapter exactly', () => {
    const w = randomWeights(1, 200, 16);
    const out = decodeSnapshot(encodeSnapshot(w));
    expect(worstRowError(out, w, w)).toBeLessThanOrEqual(1.0001);
    expect(out.itemBias).toEqual(w.itemBias);
    expect(out.adapter).toEqual(w.adapter);
    // 1 byte per embedding value + float32 row scales, biases and adapter + a small header
    expect(encodeSnapshot(w).length).toBeLessThan(200 * 16 + 200 * 4 + 200 * 4 + w.adapter.length * 4 + 150);
  });

  it('f32 snapshot round-trips exactly', () => {
    const w = randomWeights(2, 50, 8);
    expect(decodeSnapshot(encodeSnapshot(w, 'f32-snapshot'))).toEqual(w);
  });

  it('decoding garbage throws only DomainError bad_snapshot', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeSnapshot(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(DomainError);
          expect((e as DomainError).code).toBe('bad_snapshot');
        }
      }),
    );
  });
});

describe('model patch', () => {
  const parent = randomWeights(3, 300, 16);
  const child = cloneWeights(parent);
  const normal = gaussian(mulberry32(4));
  const changed = [0, 17, 150, 299];
  for (const r of changed) {
    for (let c = 0; c < 16; c++) child.itemEmb[r * 16 + c] += normal() * 0.05;
    child.itemBias[r] += 0.3;
  }
  child.itemEmb[42 * 16] += 1e-6; // below eps: not sent

  it('applied to the parent gives the child within quantization error, sending only changed rows', () => {
    const bytes = encodePatch(parent, child, { eps: 1e-4 });
    expect(Array.from(decodePatch(bytes).rows)).toEqual(changed);
    const out = applyPatch(parent, bytes);
    expect(worstRowError(out, child, child)).toBeLessThanOrEqual(1.0001 + 1e-6 / (0.1 / 254));
    expect(out.itemBias).toEqual(child.itemBias);
    expect(out.itemEmb.subarray(42 * 16, 43 * 16)).toEqual(parent.itemEmb.subarray(42 * 16, 43 * 16));
    expect(bytes.length).toBeLessThan(changed.length * 16 * 2 + 200);
  });

  it('does not modify the parent', () => {
    const before = cloneWeights(parent);
    applyPatch(parent, encodePatch(parent, child));
    expect(parent).toEqual(before);
  });

  it('applied to a snapshot-decoded parent lands on the child snapshot for changed rows', () => {
    const onEdge = decodeSnapshot(encodeSnapshot(parent));
    const patched = applyPatch(onEdge, encodePatch(parent, child, { eps: 1e-4 }));
    const childSnap = decodeSnapshot(encodeSnapshot(child));
    for (const r of changed) {
      expect(patched.itemEmb.subarray(r * 16, (r + 1) * 16)).toEqual(childSnap.itemEmb.subarray(r * 16, (r + 1) * 16));
    }
  });

  it('carries new catalog rows and adapter changes', () => {
    const grown = createWeights(305, 16, 2);
    grown.itemEmb.set(child.itemEmb);
    grown.itemBias.set(child.itemBias);
    grown.adapter.set(child.adapter);
    grown.itemEmb[303 * 16 + 1] = 0.5;
    grown.adapter[5] += 0.1;
    const out = applyPatch(parent, encodePatch(parent, grown, { eps: 1e-4 }));
    expect(out.numItems).toBe(305);
    expect(out.itemEmb[303 * 16 + 1]).toBeCloseTo(0.5, 6);
    expect(out.adapter).toEqual(grown.adapter);
  });

  it('refuses a patch made for another parent shape', () => {
    const bytes = encodePatch(parent, child);
    const other = createWeights(301, 16, 2);
    expect(() => applyPatch(other, bytes)).toThrow(expect.objectContaining({ code: 'patch_parent_mismatch' }));
  });

  it('decoding garbage throws only DomainError bad_patch', () => {
    const valid = encodePatch(parent, child);
    fc.assert(
      fc.property(fc.nat(), fc.nat(255), fc.nat(), (at, value, cut) => {
        const bytes = valid.slice();
        bytes[at % bytes.length] = value;
        for (const b of [bytes, bytes.subarray(0, cut % bytes.length)]) {
          try {
            decodePatch(b);
          } catch (e) {
            expect(e).toBeInstanceOf(DomainError);
            expect((e as DomainError).code).toBe('bad_patch');
          }
        }
      }),
    );
  });
});
