import { describe, expect, it } from 'vitest';
import { DomainError } from '@edgerec/proto-schemas';
import { cloneWeights, createWeights, type ModelWeights } from '../model/weights.js';
import { createFedAvg } from './fed-avg.js';
import { deltaOf } from './delta-builder.js';
import { mulberry32 } from '../common/seeded-rng.js';
import { syntheticDelta } from './synthetic-delta.js';

/** 4 items, dim 2, rank-1 adapter, with recognisable non-zero values. */
function base(): ModelWeights {
  const w = createWeights(4, 2, 1);
  w.itemEmb.set([10, 11, 20, 21, 30, 31, 40, 41]);
  w.itemBias.set([1, 2, 3, 4]);
  w.adapter.fill(0.5);
  return w;
}

const row = (w: ModelWeights, r: number) => Array.from(w.itemEmb.subarray(r * w.dim, (r + 1) * w.dim));

describe('sparse FedAvg', () => {
  it('returns base + the update when every node sends the same update', () => {
    const b = cloneWeights(syntheticBase());
    const d = syntheticDelta(mulberry32(1), { numItems: b.numItems, dim: b.dim, rows: 30, adapterLength: b.adapter.length });
    const updates = ['a', 'b', 'c'].map((nodeId, i) => ({ nodeId, delta: d, weight: [1, 0.3, 2][i] }));
    const { weights } = createFedAvg().aggregate(b, updates);
    const expected = createFedAvg().aggregate(b, [{ nodeId: 'x', delta: d }]).weights;
    for (let i = 0; i < weights.itemEmb.length; i++) expect(weights.itemEmb[i]).toBeCloseTo(expected.itemEmb[i], 6);
    d.rows.forEach((r, j) => expect(weights.itemEmb[r * b.dim]).toBeCloseTo(b.itemEmb[r * b.dim] + d.emb[j * b.dim], 6));
    for (let i = 0; i < weights.adapter.length; i++) expect(weights.adapter[i]).toBeCloseTo(b.adapter[i] + d.adapter![i], 6);
  });

  it('weights each row by rowCount × staleness weight over the nodes that touched it', () => {
    const a = deltaOf({ dim: 2, rows: { 1: [1, 0], 2: [2, 2] }, counts: { 1: 3, 2: 1 }, bias: { 1: 0.35 } });
    const b = deltaOf({ dim: 2, rows: { 1: [0, 4] }, counts: { 1: 1 } });
    const { weights, stats } = createFedAvg().aggregate(base(), [
      { nodeId: 'a', delta: a },
      { nodeId: 'b', delta: b, weight: 0.5 },
    ]);
    // row 1: (3·1·[1,0] + 1·0.5·[0,4]) / 3.5
    expect(row(weights, 1)[0]).toBeCloseTo(20 + 3 / 3.5, 5);
    expect(row(weights, 1)[1]).toBeCloseTo(21 + 2 / 3.5, 5);
    expect(weights.itemBias[1]).toBeCloseTo(2 + (3 * 0.35) / 3.5, 6);
    // row 2: only node a touched it, so its delta passes through undiluted
    expect(row(weights, 2)).toEqual([32, 33]);
    expect(stats.rowsUpdated).toBe(2);
    expect(stats.updateNorms.b).toBeCloseTo(4, 6);
  });

  it('leaves rows nobody touched unchanged and does not mutate base', () => {
    const b = base();
    const before = cloneWeights(b);
    const d = deltaOf({ dim: 2, rows: { 2: [1, 1] } });
    const { weights } = createFedAvg().aggregate(b, [{ nodeId: 'a', delta: d }]);
    expect(b).toEqual(before);
    expect(row(weights, 0)).toEqual([10, 11]);
    expect(row(weights, 3)).toEqual([40, 41]);
    expect(Array.from(weights.itemBias)).toEqual([1, 2, 3, 4]);
    expect(weights.adapter).toEqual(b.adapter);
    expect(weights.itemEmb).not.toBe(b.itemEmb);
  });

  it('averages the adapter by adapterCount × weight, ignoring nodes that did not touch it', () => {
    const len = base().adapter.length;
    const a = deltaOf({ dim: 2, rows: {}, adapter: Array(len).fill(1), adapterCount: 3 });
    const b = deltaOf({ dim: 2, rows: {}, adapter: [-1, ...Array(len - 1).fill(0)], adapterCount: 1 });
    const c = deltaOf({ dim: 2, rows: { 0: [1, 1] } });
    const { weights, stats } = createFedAvg().aggregate(base(), [
      { nodeId: 'a', delta: a },
      { nodeId: 'b', delta: b },
      { nodeId: 'c', delta: c },
    ]);
    expect(weights.adapter[0]).toBeCloseTo(0.5 + (3 - 1) / 4, 6);
    expect(weights.adapter[1]).toBeCloseTo(0.5 + 3 / 4, 6);
    expect(stats.adapterUpdated).toBe(true);
  });

  it('scales the step by the server learning rate and skips rows with count or weight 0', () => {
    const d = deltaOf({ dim: 2, rows: { 0: [2, 2], 3: [5, 5] }, counts: { 3: 0 } });
    const { weights } = createFedAvg({ serverLr: 0.5 }).aggregate(base(), [
      { nodeId: 'a', delta: d },
      { nodeId: 'z', delta: deltaOf({ dim: 2, rows: { 0: [100, 100] } }), weight: 0 },
    ]);
    expect(row(weights, 0)).toEqual([11, 12]);
    expect(row(weights, 3)).toEqual([40, 41]);
  });

  it('rejects an update with a row outside the catalog, naming the node', () => {
    const d = deltaOf({ dim: 2, rows: { 4: [1, 1] } });
    expect(() => createFedAvg().aggregate(base(), [{ nodeId: 'edge-7', delta: d }])).toThrow(/edge-7.*out of range/);
    const wrongDim = deltaOf({ dim: 3, rows: { 0: [1, 1, 1] } });
    expect(() => createFedAvg().aggregate(base(), [{ nodeId: 'e', delta: wrongDim }])).toThrow(DomainError);
  });

  it('returns base values unchanged for an empty round', () => {
    const { weights, stats } = createFedAvg().aggregate(base(), []);
    expect(weights).toEqual(base());
    expect(stats.rowsUpdated).toBe(0);
  });
});

function syntheticBase(): ModelWeights {
  const w = createWeights(200, 8, 2);
  const rng = mulberry32(99);
  for (let i = 0; i < w.itemEmb.length; i++) w.itemEmb[i] = rng() - 0.5;
  return w;
}
