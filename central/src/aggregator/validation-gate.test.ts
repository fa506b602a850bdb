import { describe, expect, it } from 'vitest';
import { evaluateLoo, generateSynthetic, leaveOneOut, SeededRandom, type LooScorer } from '@edgerec/services/data';
import { cloneWeights, defaultModelConfig, trainCentralized, type ModelWeights } from '@edgerec/services/model';
import { typedArrayBackend } from '../backend/index.js';
import { evaluateOnHoldout, type CentralHoldout } from './holdout-evaluation.js';
import { gateDecision, ValidationGate } from './validation-gate.js';

const ds = generateSynthetic({ seed: 3, numUsers: 80, numItems: 120, interactionsPerUser: 25, minInteractionsPerUser: 8, numClusters: 4 });
const split = leaveOneOut(ds, { negatives: 30, seed: 5 });
const config = defaultModelConfig({ dim: 8, adapterRank: 2, historyLen: 10 });
const trained = trainCentralized(
  { numItems: split.numItems, sequences: split.trainByUser },
  config,
  { epochs: 8, rng: new SeededRandom(1).nextFloat },
);
const good: ModelWeights = trained.model.getWeights();
const holdout: CentralHoldout = { split, historyLen: 10, userVectors: trained.users.map((u) => u.vec) };

/** Candidate that forgot everything: item rows shuffled between items. */
function scrambled(w: ModelWeights): ModelWeights {
  const out = cloneWeights(w);
  const rng = new SeededRandom(9);
  for (let i = out.numItems - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const a = out.itemEmb.slice(i * w.dim, (i + 1) * w.dim);
    out.itemEmb.copyWithin(i * w.dim, j * w.dim, (j + 1) * w.dim);
    out.itemEmb.set(a, j * w.dim);
    [out.itemBias[i], out.itemBias[j]] = [out.itemBias[j], out.itemBias[i]];
  }
  return out;
}

describe('holdout evaluation', () => {
  it('batched scoring gives the same metrics as evaluateLoo with the model scorer', () => {
    const model = trained.model;
    const scorer: LooScorer = {
      scoreItems(user, items, out) {
        const tr = split.trainByUser[user];
        model.scoreItems(trained.users[user], items, out, Array.from(tr.subarray(Math.max(0, tr.length - 10))));
      },
      scoreAll(user, out) {
        const tr = split.trainByUser[user];
        model.scoreAll(trained.users[user], out, Array.from(tr.subarray(Math.max(0, tr.length - 10))));
      },
    };
    const want = evaluateLoo(scorer, split);
    const got = evaluateOnHoldout(good, holdout, typedArrayBackend);
    expect(got.users).toBe(want.users);
    expect(got.hr10).toBeCloseTo(want.hr10, 10);
    expect(got.ndcg10).toBeCloseTo(want.ndcg10, 6);
    expect(got.hr10Full).toBeCloseTo(want.hr10Full!, 10);
    expect(got.hr10).toBeGreaterThan(0.3); // the trained model learned something, so the test can discriminate
  });
});

describe('validation gate', () => {
  const m = (hr10: number) => ({ hr10, ndcg10: hr10 / 2, hr10Full: null, ndcg10Full: null, users: 100 });
  const opts = { threshold: 0.01, requireHoldout: false };

  it('promotes a candidate within the threshold and rejects one below it, saying why', () => {
    expect(gateDecision(m(0.415), m(0.42), null, opts)).toEqual({ promote: true, reason: 'candidate hr@10 0.4150 ≥ current 0.4200 − 0.01' });
    const no = gateDecision(m(0.40), m(0.42), null, opts);
    expect(no.promote).toBe(false);
    expect(no.reason).toBe('candidate hr@10 0.4000 < current 0.4200 − 0.01');
  });

  it('quotes the current federated metrics in the reason', () => {
    const fed = { version: 3, hr10: 0.61, ndcg10: 0.3, users: 500, nodes: 4 };
    expect(gateDecision(m(0.5), m(0.5), fed, opts).reason).toContain('current federated hr@10 0.6100 over 500 users on 4 nodes');
  });

  it('without a holdout promotes unvalidated, or rejects when a holdout is required', () => {
    expect(gateDecision(null, null, null, opts)).toMatchObject({ promote: true, reason: expect.stringMatching(/^unvalidated/) });
    expect(gateDecision(null, null, null, { ...opts, requireHoldout: true }).promote).toBe(false);
  });

  it('on real holdout data keeps the current model against a broken candidate and records both metrics', () => {
    const gate = new ValidationGate({ holdout, backend: typedArrayBackend });
    const fed = { version: 1, hr10: 0.55, ndcg10: 0.3, users: 200, nodes: 2 };
    const bad = gate.decide(scrambled(good), good, fed);
    expect(bad.promote).toBe(false);
    expect(bad.reason).toMatch(/^candidate hr@10 0\.\d{4} < current 0\.\d{4} − 0\.01/);
    expect(bad.metrics['hr@10']).toBeLessThan(bad.metrics['baseline_hr@10'] - 0.01);
    expect(bad.metrics['baseline_fed_hr@10']).toBe(0.55);
    const same = gate.decide(cloneWeights(good), good, null);
    expect(same.promote).toBe(true);
    expect(same.metrics['hr@10']).toBe(same.metrics['baseline_hr@10']);
  });
});
