import { describe, expect, it } from 'vitest';
import { runPrequentialBench } from './prequential-bench.js';

describe('prequential benchmark', () => {
  it('scores every stream event for every model and places the drift inside the stream', () => {
    const r = runPrequentialBench({ users: 60, items: 150, buckets: 5, pretrainEpochs: 2, negatives: 20, seed: 3 });
    const names = ['frozen_static', 'frozen', 'online', 'online_replay', 'online_proximal', 'retrain_every_n'];
    expect(Object.keys(r.series).sort()).toEqual(names.slice().sort());
    for (const s of Object.values(r.series)) {
      expect(s).toHaveLength(5);
      for (const hr of s) expect(hr).toBeGreaterThanOrEqual(0);
    }
    expect(r.drift_bucket).toBeGreaterThan(0);
    expect(r.drift_bucket).toBeLessThan(5);
    expect(r.events).toBeGreaterThan(0);
  });
});
