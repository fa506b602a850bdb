import { describe, expect, it } from 'vitest';
import { createWeights } from '../model/weights.js';
import { createFedAvg } from './fed-avg.js';
import { createFedAdam } from './fed-adam.js';
import { withClipping } from './norm-clipping.js';
import { deltaOf } from './delta-builder.js';

const base = () => createWeights(3, 2, 0);
const norm = (a: Float32Array) => Math.hypot(...a);

describe('norm clipping', () => {
  it('caps each delta at the bound before aggregation and reports original norms', () => {
    const big = deltaOf({ dim: 2, rows: { 0: [3, 4] }, bias: { 0: 0 } }); // norm 5
    const small = deltaOf({ dim: 2, rows: { 1: [0.3, 0.4] } }); // norm 0.5
    const s = withClipping(createFedAvg(), 1);
    const { weights, stats } = s.aggregate(base(), [
      { nodeId: 'big', delta: big },
      { nodeId: 'small', delta: small },
    ]);
    expect(weights.itemEmb[0]).toBeCloseTo(0.6, 6);
    expect(weights.itemEmb[1]).toBeCloseTo(0.8, 6);
    expect(weights.itemEmb[2]).toBeCloseTo(0.3, 6);
    expect(stats.clipped).toEqual(['big']);
    expect(stats.updateNorms.big).toBeCloseTo(5, 6);
    expect(stats.clipNorm).toBe(1);
    expect(s.name).toBe('clip(fedavg)');
  });

  it('adaptive bound follows the median norm, so a minority of huge updates cannot raise it', () => {
    const upd = (id: string, x: number) => ({ nodeId: id, delta: deltaOf({ dim: 2, rows: { 0: [x, 0] } }) });
    const s = withClipping(createFedAvg(), { medianFactor: 2 });
    const { weights, stats } = s.aggregate(base(), [upd('a', 1), upd('b', 1), upd('c', 1), upd('d', 1000)]);
    expect(stats.clipNorm).toBe(2);
    expect(stats.clipped).toEqual(['d']);
    // rowCounts are equal: (1 + 1 + 1 + 2) / 4
    expect(weights.itemEmb[0]).toBeCloseTo(1.25, 6);
  });

  it('clips the bias and adapter together with the embedding rows', () => {
    const len = createWeights(3, 2, 1).adapter.length;
    const d = deltaOf({ dim: 2, rows: { 0: [0, 0] }, bias: { 0: 10 }, adapter: Array(len).fill(10) });
    const w = createWeights(3, 2, 1);
    const { weights } = withClipping(createFedAvg(), 2).aggregate(w, [{ nodeId: 'a', delta: d }]);
    expect(Math.hypot(weights.itemBias[0], norm(weights.adapter))).toBeCloseTo(2, 5);
  });

  it('passes optimizer state through to the wrapped strategy', () => {
    const s = withClipping(createFedAdam(), 1);
    s.aggregate(base(), [{ nodeId: 'a', delta: deltaOf({ dim: 2, rows: { 0: [1, 1] } }) }]);
    expect(s.exportState()).toMatchObject({ kind: 'fedadam' });
  });
});
