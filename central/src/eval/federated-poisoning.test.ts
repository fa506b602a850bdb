import { describe, expect, it } from 'vitest';
import { generateSynthetic } from '@edgerec/services/data';
import { defaultModelConfig } from '@edgerec/services/model';
import type { EdgeAttack } from './delta-poisoning.js';
import { runFederatedEval, type FederatedEvalOptions, type FederatedEvalReport } from './federated-eval.js';

// 8 edges, small catalogue and model: each run takes a second or two.
const ds = generateSynthetic({ seed: 11, numUsers: 400, numItems: 150, interactionsPerUser: 25, minInteractionsPerUser: 8 });
const base: FederatedEvalOptions = {
  negatives: 50, seed: 11, epochs: 3, config: defaultModelConfig({ dim: 16 }), edges: 8, partition: 'random', compression: 'none',
  scoreExclude: [0, 1],
};
const attackers: EdgeAttack[] = [{ edge: 0, kind: 'scale', factor: 100 }, { edge: 1, kind: 'noise' }];

/** Each configuration runs once, shared by the tests that look at it. */
const runs = new Map<string, Promise<FederatedEvalReport>>();
const run = (name: string, extra: Partial<FederatedEvalOptions> = {}) => {
  if (!runs.has(name)) runs.set(name, runFederatedEval(ds, { ...base, ...extra }));
  return runs.get(name)!;
};
const clean = () => run('clean');
const krum = () => run('krum', { attackers, strategy: { name: 'krum', params: { f: 2 } } });

describe('federated evaluation under poisoning', () => {
  it('a ×100 edge and a noise edge wreck FedAvg, while Multi-Krum stays close to the clean run', async () => {
    const c = await clean();
    const fedavg = await runFederatedEval(ds, { ...base, attackers });
    const k = await krum();
    expect(c['hr@10']).toBeGreaterThan(c['itempop_hr@10']);
    expect(fedavg['hr@10']).toBeLessThan(0.7 * c['hr@10']);
    expect(k['hr@10']).toBeGreaterThan(0.95 * c['hr@10']);
    // both attackers were left out of every Krum aggregate, and their users of the metrics
    for (const r of k.round_log) expect([...r.outliers].sort()).toEqual(['edge-0', 'edge-1']);
    expect(k.users).toBe(c.users);
    expect(k.unscored_edges).toEqual([0, 1]);
    const scale = fedavg.attackers.find((a) => a.kind === 'scale')!;
    expect(scale.poisoned_norm / scale.honest_norm).toBeCloseTo(100, 0);
    expect(fedavg.round_log[0].norm_max?.node).toBe('edge-0');
  });

  it('quarantine refuses the attackers\' deltas, excludes the counted ones, and FedAvg learns from the honest edges', async () => {
    const c = await clean();
    const r = await run('quarantine', { attackers, quarantine: { edges: [0, 1], round: 1 } });
    const q = r.quarantine!;
    expect(q.admin_status).toEqual([200, 200]);
    expect(q.excluded_deltas).toBe(2);
    expect(q.refused_deltas).toBeGreaterThanOrEqual(2 * (base.epochs - 1));
    expect(q.refusal_reasons).toEqual(['quarantined: node is quarantined']);
    expect(q.excluded_from_aggregation).toBe(true);
    const honest = ['edge-2', 'edge-3', 'edge-4', 'edge-5', 'edge-6', 'edge-7'];
    expect(r.round_log.map((e) => e.aggregated)).toEqual(r.round_log.map(() => honest));
    expect(r.model_version).toBe(1 + base.epochs);
    expect(r['hr@10']).toBeGreaterThan(0.95 * c['hr@10']);
    // FedAvg over the honest edges is exactly what Multi-Krum kept once it dropped both attackers
    expect(r['hr@10']).toBeCloseTo((await krum())['hr@10'], 9);
  });
});
