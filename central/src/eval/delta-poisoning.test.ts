import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { unsyncedDelta } from '@edgerec/edge/sync/index';
import { gaussian, mulberry32 } from '@edgerec/services/federation';
import { cloneWeights, createWeights, RowTracker } from '@edgerec/services/model';
import type { SyncReference } from '@edgerec/services/store';
import { attackFactor, EdgeAttack, inflateClaims, poisonLocalWeights } from './delta-poisoning.js';

const ITEMS = 12;
const DIM = 4;

/** A base model, a reference for some rows (as after an earlier extraction) and local training on others. */
function scene(seed: number, adapter: boolean) {
  const rng = mulberry32(seed);
  const normal = gaussian(rng);
  const base = createWeights(ITEMS, DIM, 1);
  for (const a of [base.itemEmb, base.itemBias, base.adapter]) a.forEach((_, i) => (a[i] = normal()));
  const local = cloneWeights(base);
  const ref: SyncReference = { rows: new Map(), adapter: null };
  const tracker = new RowTracker(ITEMS);
  for (let r = 0; r < ITEMS; r++) {
    if (rng() < 0.3) {
      // extracted earlier: reference = the local value at that extraction
      for (let k = 0; k < DIM; k++) local.itemEmb[r * DIM + k] += 0.1 * normal();
      ref.rows.set(r, Float32Array.from([...local.itemEmb.subarray(r * DIM, (r + 1) * DIM), local.itemBias[r]]));
    }
    if (rng() < 0.6) {
      tracker.counts[r] = 1 + Math.floor(rng() * 5);
      for (let k = 0; k < DIM; k++) local.itemEmb[r * DIM + k] += 0.05 * normal();
      local.itemBias[r] += 0.05 * normal();
    }
  }
  if (adapter) {
    tracker.adapterCount = 3;
    local.adapter.forEach((_, i) => (local.adapter[i] += 0.02 * normal()));
  }
  tracker.samples = 10;
  return { base, local, ref, tracker, normal };
}

describe('poisonLocalWeights', () => {
  it('makes the extracted delta exactly factor × (or −factor ×) the honest one, against base or reference', () => {
    fc.assert(
      fc.property(fc.integer(), fc.boolean(), fc.constantFrom('scale', 'sign-flip') as fc.Arbitrary<'scale' | 'sign-flip'>, fc.double({ min: 0.5, max: 200, noNaN: true }),
        (seed, adapter, kind, factor) => {
          const { base, local, ref, tracker, normal } = scene(seed, adapter);
          const honest = unsyncedDelta(local, base, ref, tracker);
          poisonLocalWeights(local, honest, { kind, factor }, normal);
          const sent = unsyncedDelta(local, base, ref, tracker);
          const sign = kind === 'scale' ? 1 : -1;
          expect(Array.from(sent.rows)).toEqual(Array.from(honest.rows));
          expect(Array.from(sent.rowCounts)).toEqual(Array.from(honest.rowCounts));
          const pairs: [number, number][] = [
            ...Array.from(honest.emb, (h, i): [number, number] => [h, sent.emb[i]]),
            ...Array.from(honest.bias, (h, i): [number, number] => [h, sent.bias[i]]),
            ...Array.from(honest.adapter ?? [], (h, i): [number, number] => [h, sent.adapter![i]]),
          ];
          // float32 storage of local: error ≤ a few ulps of the poisoned local value
          for (const [h, s] of pairs) expect(Math.abs(s - sign * factor * h)).toBeLessThanOrEqual(1e-5 * (1 + factor * Math.abs(h) + 4));
        }),
      { numRuns: 60 },
    );
  });

  it('leaves rows the edge did not touch unchanged', () => {
    const { base, local, ref, tracker, normal } = scene(3, false);
    const before = local.itemEmb.slice();
    poisonLocalWeights(local, unsyncedDelta(local, base, ref, tracker), { kind: 'noise', factor: 10 }, normal);
    const row = (a: Float32Array, r: number) => Array.from(a.subarray(r * DIM, (r + 1) * DIM));
    const rows = Array.from({ length: ITEMS }, (_, r) => r);
    for (const r of rows.filter((x) => tracker.counts[x] === 0)) expect(row(local.itemEmb, r)).toEqual(row(before, r));
    expect(rows.filter((x) => tracker.counts[x] > 0).some((r) => row(local.itemEmb, r).join() !== row(before, r).join())).toBe(true);
  });

  it('replaces the update by noise whose RMS is factor × the honest RMS', () => {
    const { base, local, ref, tracker, normal } = scene(11, true);
    const honest = unsyncedDelta(local, base, ref, tracker);
    const st = poisonLocalWeights(local, honest, { kind: 'noise', factor: 10 }, normal);
    const sent = unsyncedDelta(local, base, ref, tracker);
    const values = [...sent.emb, ...sent.bias, ...(sent.adapter ?? [])];
    const rms = Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
    const honestRms = st.honestNorm / Math.sqrt(values.length);
    expect(st.sigma).toBeCloseTo(10 * honestRms, 6);
    expect(rms / st.sigma!).toBeGreaterThan(0.8);
    expect(rms / st.sigma!).toBeLessThan(1.2);
    // noise, not a scaled copy: hardly correlated with the honest update
    const hv = [...honest.emb, ...honest.bias, ...(honest.adapter ?? [])];
    const dot = hv.reduce((s, h, i) => s + h * values[i], 0);
    expect(Math.abs(dot) / (st.honestNorm * st.poisonedNorm)).toBeLessThan(0.3);
  });

  it('inflateClaims multiplies the claimed counts and samples the next extraction reports, saturating at uint32', () => {
    const { base, local, ref, tracker } = scene(5, true);
    const honest = unsyncedDelta(local, base, ref, tracker);
    inflateClaims(tracker, { countFactor: 1e6 });
    const claimed = unsyncedDelta(local, base, ref, tracker);
    expect(Array.from(claimed.rows)).toEqual(Array.from(honest.rows));
    expect(Array.from(claimed.rowCounts)).toEqual(Array.from(honest.rowCounts, (c) => c * 1e6));
    expect(claimed).toMatchObject({ adapterCount: 3e6, samples: 1e7, emb: honest.emb });
    inflateClaims(tracker, { countFactor: 1e6, samplesFactor: 1 });
    expect(Math.max(...tracker.counts)).toBe(0xffff_ffff);
    expect(tracker.samples).toBe(1e7);
    expect(tracker.counts.filter((c) => c > 0).length).toBe(honest.rows.length);
  });

  it('uses the documented default factors', () => {
    expect(attackFactor(EdgeAttack.parse({ edge: 0, kind: 'scale' }))).toBe(100);
    expect(attackFactor(EdgeAttack.parse({ edge: 0, kind: 'sign-flip' }))).toBe(10);
    expect(attackFactor(EdgeAttack.parse({ edge: 0, kind: 'noise', factor: 3 }))).toBe(3);
    expect(attackFactor(EdgeAttack.parse({ edge: 0, kind: 'none', countFactor: 1e6 }))).toBe(1);
    expect(EdgeAttack.safeParse({ edge: 0, kind: 'none', countFactor: 0.5 }).success).toBe(false);
    expect(EdgeAttack.safeParse({ edge: -1, kind: 'scale' }).success).toBe(false);
  });
});
