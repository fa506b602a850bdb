import { SeededRandom } from '@edgerec/services/data';
import { cloneWeights, defaultModelConfig, RecommenderModel } from '@edgerec/services/model';
import { describe, expect, it } from 'vitest';
import { ItemCatalog } from './item-catalog.js';
import { ModelHolder } from './model-holder.js';

function holder(proxMu = 0) {
  const model = RecommenderModel.create(4, defaultModelConfig({ dim: 4, proxMu }), new SeededRandom(1).nextFloat);
  return new ModelHolder(model, new ItemCatalog(ItemCatalog.synthetic(4)), 0, null, null, cloneWeights(model.weights));
}

function grown(h: ModelHolder, extra: number) {
  const w = cloneWeights(h.model.weights);
  const n = w.numItems + extra;
  const emb = new Float32Array(n * w.dim);
  emb.set(w.itemEmb);
  const bias = new Float32Array(n);
  bias.set(w.itemBias);
  return { ...w, numItems: n, itemEmb: emb, itemBias: bias };
}

describe('ModelHolder.swap', () => {
  it('installs new weights, versions, anchor and notifies listeners', () => {
    const h = holder(0.1);
    let calls = 0;
    h.onSwap(() => calls++);
    const w = cloneWeights(h.model.weights);
    w.itemBias.fill(3);
    h.swap(w, 2, { syncedAt: 50 });
    expect({ version: h.version, parent: h.parent, lastSyncAt: h.lastSyncAt, pending: h.pendingInstall, calls }).toEqual({
      version: 2, parent: 0, lastSyncAt: 50, pending: true, calls: 1,
    });
    expect(h.model.weights.itemBias[0]).toBe(3);
    expect(h.model.anchor).toBe(h.base);
    w.itemBias.fill(9);
    expect(h.model.weights.itemBias[0]).toBe(3);
  });

  it('grows the catalog with the new rows\' ids', () => {
    const h = holder();
    h.swap(grown(h, 2), 1, { newItemIds: ['new-a', 'new-b'] });
    expect(h.numItems).toBe(6);
    expect(h.catalog.indexOf('new-b')).toBe(5);
  });

  it('refuses shape mismatches and changes nothing', () => {
    const h = holder();
    const before = cloneWeights(h.model.weights);
    const wrongDim = { ...cloneWeights(before), dim: 8 };
    expect(() => h.swap(wrongDim, 1)).toThrow(expect.objectContaining({ code: 'bad_model' }));
    expect(() => h.swap(grown(h, 1), 1)).toThrow(/new ids/);
    expect(() => h.swap(grown(h, 1), 1, { newItemIds: ['i0'] })).toThrow(/already/);
    expect(() => h.swap(cloneWeights(before), -1)).toThrow(/version/);
    expect(h.model.weights).toEqual(before);
    expect(h.version).toBe(0);
    expect(h.catalog.size).toBe(4);
  });
});
