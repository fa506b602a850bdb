import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cloneWeights, createWeights, RecommenderModel, defaultModelConfig, type ModelWeights } from '@edgerec/services/model';
import type { SyncReference } from '@edgerec/services/store';
import { mergeReference, reapplyUnsynced, referenceUpdate, unsyncedDelta } from './unsynced-delta.js';

const N = 6;
const D = 3;

function weights(values: number[]): ModelWeights {
  const w = createWeights(N, D, 1);
  w.itemEmb.set(values.slice(0, N * D));
  w.itemBias.set(values.slice(N * D, N * D + N));
  return w;
}

/** Simulates training: adds `step` to `row` (all coordinates and bias) and counts the touch. */
function train(model: RecommenderModel, row: number, step: number): void {
  for (let k = 0; k < D; k++) model.weights.itemEmb[row * D + k] += step;
  model.weights.itemBias[row] += step;
  model.tracker.touch(row);
  model.tracker.samples++;
}

describe('unsynced delta', () => {
  it('sends a row trained across several extractions once: the increments add up to local − base', () => {
    const step = fc.record({ row: fc.integer({ min: 0, max: N - 1 }), value: fc.float({ min: -1, max: 1, noNaN: true }) });
    fc.assert(
      fc.property(fc.array(fc.array(step, { maxLength: 8 }), { minLength: 1, maxLength: 5 }), (phases) => {
        const base = weights(Array.from({ length: N * (D + 1) }, (_, i) => (i % 7) / 10));
        const model = new RecommenderModel(cloneWeights(base), defaultModelConfig({ dim: D, adapterRank: 1 }));
        const ref: SyncReference = { rows: new Map(), adapter: null };
        const sent = new Float64Array(N * D);
        for (const phase of phases) {
          for (const s of phase) train(model, s.row, s.value);
          const delta = unsyncedDelta(model.weights, base, ref, model.tracker);
          delta.rows.forEach((r, j) => {
            for (let k = 0; k < D; k++) sent[r * D + k] += delta.emb[j * D + k];
          });
          mergeReference(ref, referenceUpdate(model.weights, delta));
          model.tracker.reset();
        }
        for (let i = 0; i < N * D; i++) expect(sent[i]).toBeCloseTo(model.weights.itemEmb[i] - base.itemEmb[i], 4);
      }),
      { numRuns: 60 },
    );
  });

  it('rebases: rows trained since the extraction keep their increment on the new global, the rest become the new global', () => {
    const base = weights(new Array(N * (D + 1)).fill(0));
    const model = new RecommenderModel(cloneWeights(base), defaultModelConfig({ dim: D, adapterRank: 1 }));
    const ref: SyncReference = { rows: new Map(), adapter: null };
    train(model, 1, 0.5);
    train(model, 2, 0.25);
    mergeReference(ref, referenceUpdate(model.weights, unsyncedDelta(model.weights, base, ref, model.tracker)));
    model.tracker.reset();
    train(model, 2, 0.125); // after the extraction: must survive the swap
    const pending = unsyncedDelta(model.weights, base, ref, model.tracker);
    const next = weights(Array.from({ length: N * (D + 1) }, (_, i) => i));
    model.setWeights(cloneWeights(next));
    model.tracker.reset();
    reapplyUnsynced(model, pending);
    expect(Array.from(pending.rows)).toEqual([2]);
    expect(model.weights.itemEmb[2 * D]).toBeCloseTo(next.itemEmb[2 * D] + 0.125, 6);
    expect(model.weights.itemEmb[1 * D]).toBe(next.itemEmb[1 * D]);
    expect(model.tracker.counts[2]).toBe(1);
    expect(model.tracker.counts[1]).toBe(0);
    expect(model.tracker.samples).toBe(1);
  });
});
