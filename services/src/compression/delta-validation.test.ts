import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '@edgerec/proto-schemas';
import { defaultModelConfig } from '../model/model-config.js';
import { RecommenderModel } from '../model/recommender-model.js';
import { extractDelta, RowTracker } from '../model/row-tracker.js';
import { pushRecent } from '../model/user-state.js';
import { cloneWeights, type SparseDelta } from '../model/weights.js';
import { mulberry32 } from '../common/seeded-rng.js';
import { applyErrorFeedback, emptyResidual } from './error-feedback.js';
import { validateDeltaCounts } from './delta-validation.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return e instanceof DomainError ? `${e.code}: ${e.message}` : 'not-a-domain-error';
  }
  return undefined;
};

/** A small hand-made delta: rows 0..n-1 with the given counts. */
const withCounts = (counts: number[], samples: number, adapterCount = 0): SparseDelta => ({
  dim: 1, rows: Uint32Array.from(counts, (_, j) => j), emb: new Float32Array(counts.length), bias: new Float32Array(counts.length),
  rowCounts: Uint32Array.from(counts), adapter: adapterCount > 0 ? new Float32Array(1) : null, adapterCount, samples,
});

describe('validateDeltaCounts', () => {
  it('property: the counts of a delta the real learner produced always pass with rowsPerSample = 1 + negatives + historyLen', () => {
    fc.assert(
      fc.property(
        fc.integer(), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 3, max: 40 }),
        (seed, negatives, historyLen, samples, numItems) => {
          const rng = mulberry32(seed);
          const config = defaultModelConfig({ dim: 4, adapterRank: 1, negatives, historyLen });
          const model = RecommenderModel.create(numItems, config, rng);
          const base = cloneWeights(model.weights);
          const users = [model.newUser(rng), model.newUser(rng)];
          for (let s = 0; s < samples; s++) {
            const user = users[s % 2];
            // few items, repeats in the history: one row can be hit several times per sample
            const item = Math.floor(rng() * Math.min(numItems, 4));
            model.learnOne({ user, item }, rng);
            pushRecent(user, item, historyLen);
          }
          const delta = extractDelta(model.weights, base, model.tracker);
          expect(codeOf(() => validateDeltaCounts(delta, { rowsPerSample: 1 + negatives + historyLen, maxSamples: samples }))).toBeUndefined();
          // the error-feedback residual rides along with count-1 rows and adapter count ≥ 1 —
          // also alone, in a forced sync after nothing was learned (0 samples)
          const residual = emptyResidual(4);
          for (let r = 0; r < numItems; r += 2) residual.rows.set(r, new Float32Array(5).fill(0.01));
          residual.adapter = new Float32Array(model.weights.adapter.length).fill(0.01);
          const empty = extractDelta(model.weights, model.weights, new RowTracker(numItems));
          for (const d of [delta, empty]) {
            const { sent } = applyErrorFeedback(d, residual, { codec: 'int8' });
            expect(codeOf(() => validateDeltaCounts(sent, { rowsPerSample: 1 + negatives + historyLen }))).toBeUndefined();
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses a count of 0, a count above samples × rowsPerSample, and counts that add up to more than the samples allow', () => {
    const b = { rowsPerSample: 25 };
    expect(codeOf(() => validateDeltaCounts(withCounts([3, 0], 10), b))).toMatch(/^bad_counts: row 1: count 0 < 1/);
    expect(codeOf(() => validateDeltaCounts(withCounts([251], 10), b))).toMatch(/^bad_counts: row 0: count 251 > 250/);
    expect(codeOf(() => validateDeltaCounts(withCounts([250], 10), b))).toBeUndefined();
    // each row is plausible alone, together they claim 300 row updates from 10 samples
    expect(codeOf(() => validateDeltaCounts(withCounts([150, 150], 10), b))).toMatch(/^bad_counts: row counts sum to 300/);
    // 10⁹ on every row needs 10⁹/25 samples to back it
    expect(codeOf(() => validateDeltaCounts(withCounts([1e9, 1e9], 100), b))).toMatch(/^bad_counts/);
    expect(codeOf(() => validateDeltaCounts(withCounts([1e9, 1e9], 8e7), b))).toBeUndefined();
  });

  it('refuses fractional or excessive samples and an adapter count above the samples', () => {
    const b = { rowsPerSample: 25, maxSamples: 1000 };
    expect(codeOf(() => validateDeltaCounts(withCounts([1], 2.5), b))).toMatch(/^bad_counts: samples 2.5 is not a count/);
    expect(codeOf(() => validateDeltaCounts(withCounts([1], 1001), b))).toMatch(/^bad_counts: samples 1001 exceed the ceiling 1000/);
    expect(codeOf(() => validateDeltaCounts(withCounts([1], 10, 11), b))).toMatch(/^bad_counts: adapterCount 11 exceeds 10 samples/);
    expect(codeOf(() => validateDeltaCounts(withCounts([1], 10, 10), b))).toBeUndefined();
    // a residual-only delta: count-1 rows and an adapter count of 1 from 0 samples
    expect(codeOf(() => validateDeltaCounts(withCounts([1, 1, 1], 0, 1), b))).toBeUndefined();
    expect(codeOf(() => validateDeltaCounts(withCounts([2], 0), b, 'custom'))).toMatch(/^custom: row 0: count 2 > 1/);
  });
});
