import { describe, expect, it } from 'vitest';
import { DomainError } from '@edgerec/proto-schemas';
import { cloneWeights, createWeights, type ModelWeights } from '../model/weights.js';
import { createFedAvgM } from './fed-avg-m.js';
import { createFedAdam } from './fed-adam.js';
import { deltaOf } from './delta-builder.js';
import { mulberry32 } from '../common/seeded-rng.js';
import { syntheticDelta } from './synthetic-delta.js';

const base = (): ModelWeights => createWeights(5, 2, 1);
const at = (w: ModelWeights, r: number, k: number) => w.itemEmb[r * w.dim + k];

describe('FedAvgM', () => {
  it('adds β × the previous step to the current mean delta', () => {
    const s = createFedAvgM({ momentum: 0.5, serverLr: 1 });
    const d = deltaOf({ dim: 2, rows: { 1: [1, -2] } });
    const w1 = s.aggregate(base(), [{ nodeId: 'a', delta: d }]).weights;
    expect([at(w1, 1, 0), at(w1, 1, 1)]).toEqual([1, -2]);
    const w2 = s.aggregate(w1, [{ nodeId: 'a', delta: d }]).weights;
    // m = 0.5·[1,-2] + [1,-2] = [1.5,-3]
    expect([at(w2, 1, 0), at(w2, 1, 1)]).toEqual([2.5, -5]);
  });

  it('keeps rows untouched this round in place even with momentum left over', () => {
    const s = createFedAvgM({ momentum: 0.9 });
    const w1 = s.aggregate(base(), [{ nodeId: 'a', delta: deltaOf({ dim: 2, rows: { 1: [1, 1] } }) }]).weights;
    const w2 = s.aggregate(w1, [{ nodeId: 'a', delta: deltaOf({ dim: 2, rows: { 3: [1, 1] } }) }]).weights;
    expect(at(w2, 1, 0)).toBe(at(w1, 1, 0));
  });

  it('resumes identically from exported state', () => {
    const d1 = deltaOf({ dim: 2, rows: { 0: [1, 2], 4: [3, 3] }, adapter: Array(base().adapter.length).fill(0.1) });
    const d2 = deltaOf({ dim: 2, rows: { 0: [0.5, 0] } });
    const a = createFedAvgM();
    const w1 = a.aggregate(base(), [{ nodeId: 'n', delta: d1 }]).weights;
    const b = createFedAvgM();
    b.importState(structuredClone(a.exportState()));
    expect(b.aggregate(w1, [{ nodeId: 'n', delta: d2 }]).weights).toEqual(a.aggregate(w1, [{ nodeId: 'n', delta: d2 }]).weights);
  });

  it('rejects state of another strategy or shape', () => {
    const s = createFedAvgM();
    expect(() => s.importState({ kind: 'fedadam' })).toThrow(DomainError);
    expect(() => s.importState({ kind: 'fedavgm', m: { numItems: 2, dim: 2, emb: new Float32Array(3), bias: new Float32Array(2), adapter: new Float32Array(0) } })).toThrow(DomainError);
  });
});

describe.each(['adam', 'yogi'] as const)('Fed%s', (variant) => {
  it('moves every touched coordinate in the direction of the mean delta', () => {
    const s = createFedAdam({ variant });
    const b = createWeights(100, 8, 1);
    const d = syntheticDelta(mulberry32(4), { numItems: 100, dim: 8, rows: 30, adapterLength: b.adapter.length });
    const { weights } = s.aggregate(b, [{ nodeId: 'a', delta: d }]);
    d.rows.forEach((r, j) => {
      for (let k = 0; k < 8; k++) {
        const g = d.emb[j * 8 + k];
        if (g !== 0) expect(Math.sign(weights.itemEmb[r * 8 + k])).toBe(Math.sign(g));
      }
      expect(Math.sign(weights.itemBias[r])).toBe(Math.sign(d.bias[j]));
    });
    for (let i = 0; i < b.adapter.length; i++) expect(Math.sign(weights.adapter[i])).toBe(Math.sign(d.adapter![i]));
  });

  it('approaches steps of size η under a constant pseudo-gradient, whatever its scale', () => {
    for (const scale of [1e-4, 1]) {
      const s = createFedAdam({ variant, serverLr: 0.01, tau: 1e-9 });
      let w = base();
      let prev = 0;
      for (let round = 0; round < 300; round++) {
        prev = at(w, 2, 0);
        w = s.aggregate(w, [{ nodeId: 'a', delta: deltaOf({ dim: 2, rows: { 2: [scale, 0] } }) }]).weights;
      }
      expect(at(w, 2, 0) - prev).toBeCloseTo(0.01, 3);
    }
  });

  it('resumes identically from exported state and refuses the other variant', () => {
    const d = deltaOf({ dim: 2, rows: { 0: [1, 2] } });
    const a = createFedAdam({ variant });
    const w1 = a.aggregate(base(), [{ nodeId: 'n', delta: d }]).weights;
    const b = createFedAdam({ variant });
    b.importState(structuredClone(a.exportState()));
    expect(b.aggregate(w1, [{ nodeId: 'n', delta: d }]).weights).toEqual(a.aggregate(w1, [{ nodeId: 'n', delta: d }]).weights);
    const other = createFedAdam({ variant: variant === 'adam' ? 'yogi' : 'adam' });
    expect(() => other.importState(a.exportState())).toThrow(DomainError);
  });

  it('grows its state when the catalog grows and does not mutate base', () => {
    const s = createFedAdam({ variant });
    s.aggregate(base(), [{ nodeId: 'n', delta: deltaOf({ dim: 2, rows: { 0: [1, 1] } }) }]);
    const bigger = createWeights(8, 2, 1);
    const before = cloneWeights(bigger);
    const { weights } = s.aggregate(bigger, [{ nodeId: 'n', delta: deltaOf({ dim: 2, rows: { 7: [1, 1] } }) }]);
    expect(at(weights, 7, 0)).toBeGreaterThan(0);
    expect(bigger).toEqual(before);
  });
});
