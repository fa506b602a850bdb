import { describe, expect, it } from 'vitest';
import { DomainError } from '@edgerec/proto-schemas';
import { createWeights } from '../model/weights.js';
import { createStrategy } from './strategy-registry.js';
import { createFedAvg } from './fed-avg.js';
import { deltaOf } from './delta-builder.js';
import { mulberry32 } from '../common/seeded-rng.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return e instanceof DomainError ? e.code : 'not-a-domain-error';
  }
  return undefined;
};

describe('strategy registry', () => {
  it.each(['fedavg', 'fedavgm', 'fedadam', 'fedyogi', 'median', 'trimmed-mean', 'krum'])('creates %s from a bare spec', (name) => {
    const s = createStrategy({ name });
    expect(s.name).toBe(name);
    const { weights } = s.aggregate(createWeights(4, 2, 0), [{ nodeId: 'a', delta: deltaOf({ dim: 2, rows: { 1: [1, 1] } }) }]);
    expect(weights.itemEmb[2]).toBeGreaterThan(0);
  });

  it('passes params through and wraps clipping outside DP', () => {
    const s = createStrategy({ name: 'fedavg', params: { serverLr: 0.5 }, clipNorm: { medianFactor: 2 }, dp: { clip: 1, noiseMultiplier: 0 } }, { rng: mulberry32(1) });
    expect(s.name).toBe('clip(dp(fedavg))');
    const base = createWeights(4, 2, 0);
    const updates = [{ nodeId: 'a', delta: deltaOf({ dim: 2, rows: { 0: [0.2, 0] } }) }];
    expect(createStrategy({ name: 'fedavg', params: { serverLr: 0.5 } }).aggregate(base, updates).weights)
      .toEqual(createFedAvg({ serverLr: 0.5 }).aggregate(base, updates).weights);
  });

  it('rejects invalid specs with DomainError bad_strategy_spec', () => {
    expect(codeOf(() => createStrategy({ name: 'fedsgd' }))).toBe('bad_strategy_spec');
    expect(codeOf(() => createStrategy({ name: 'trimmed-mean', params: { beta: 0.6 } }))).toBe('bad_strategy_spec');
    expect(codeOf(() => createStrategy({ name: 'fedavg', clipNorm: -1 }))).toBe('bad_strategy_spec');
    expect(codeOf(() => createStrategy({ name: 'fedavg', dp: { clip: 1, noiseMultiplier: 1 } }))).toBe('bad_strategy_spec');
    expect(codeOf(() => createStrategy({ name: 'median', dp: { clip: 1, noiseMultiplier: 1 } }, { rng: Math.random }))).toBe('bad_strategy_spec');
    expect(codeOf(() => createStrategy(null))).toBe('bad_strategy_spec');
  });
});
