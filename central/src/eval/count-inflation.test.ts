import { describe, expect, it } from 'vitest';
import { generateSynthetic } from '@edgerec/services/data';
import { defaultModelConfig } from '@edgerec/services/model';
import { DEFAULT_MAX_SAMPLES } from '../aggregator/index.js';
import type { EdgeAttack } from './delta-poisoning.js';
import { runFederatedEval, type FederatedEvalOptions, type FederatedEvalReport } from './federated-eval.js';

/**
 * One edge of 10 (region partition) trains honestly, then sends an honest-sized noise update
 * (σ = its own update's RMS: a norm no clipping bound singles out) and claims 10⁶ × its row
 * counts, adapter count and samples. 10 rounds: long enough that a node weighing like two
 * honest ones only slows learning down a little. Each run takes ~3 s.
 */
const ds = generateSynthetic({ seed: 11, numUsers: 1000, numItems: 200, interactionsPerUser: 25, minInteractionsPerUser: 8 });
const base: FederatedEvalOptions = {
  negatives: 50, seed: 11, epochs: 10, config: defaultModelConfig({ dim: 16 }), edges: 10, partition: 'region', compression: 'none',
  scoreExclude: [0],
};
const inflator: EdgeAttack = { edge: 0, kind: 'noise', factor: 1, countFactor: 1e6 };
/** a ceiling the 10⁶ × claim (~2·10⁹ samples a round) fits under, so only the strategy can stop it */
const ROOMY = 1e10;

const runs = new Map<string, Promise<FederatedEvalReport>>();
const run = (name: string, extra: Partial<FederatedEvalOptions> = {}) => {
  if (!runs.has(name)) runs.set(name, runFederatedEval(ds, { ...base, ...extra }));
  return runs.get(name)!;
};
const clean = () => run('clean');
const hr = (r: FederatedEvalReport) => r['hr@10'].toFixed(4);

describe('an edge claiming 10⁶ × its row counts', () => {
  it('within the intake bounds: FedAvg with the count cap stays within 2 % of the clean run, without it collapses', async () => {
    const c = await clean();
    const capped = await run('capped', { attackers: [inflator], maxSamples: ROOMY });
    const raw = await run('raw', { attackers: [inflator], maxSamples: ROOMY, strategy: { name: 'fedavg', countCap: false } });
    const figures = `clean ${hr(c)}, count cap ${hr(capped)} (${((capped['hr@10'] / c['hr@10'] - 1) * 100).toFixed(2)} %), raw counts ${hr(raw)}`;
    console.info(`HR@10 under ×10⁶ count inflation: ${figures}`);
    expect(c['hr@10'], figures).toBeGreaterThan(c['itempop_hr@10']);
    expect(capped['hr@10'], figures).toBeGreaterThanOrEqual(0.98 * c['hr@10']);
    expect(raw['hr@10'], figures).toBeLessThan(0.5 * c['hr@10']);
    // the claims passed intake every round: only the weighting stood between them and the model
    for (const r of [capped, raw]) expect(r.attackers[0]).toMatchObject({ count_factor: 1e6, acks: { accepted: base.epochs } });
    // the cap took nearly all of edge-0's claimed weight, every round, and nobody else's
    for (const e of capped.round_log) {
      expect(Object.keys(e.count_cut ?? {})).toContain('edge-0');
      expect(e.count_cut?.['edge-0']).toBeGreaterThan(0.9999);
    }
  }, 60_000);

  it('beyond the bounds (the default maxSamples): every delta of that edge is refused with bad_counts, and learning goes on without it', async () => {
    const c = await clean();
    const r = await run('refused', { attackers: [inflator], minNodes: base.edges - 1 });
    const figures = `clean ${hr(c)}, refused ${hr(r)}`;
    console.info(`HR@10 with the inflating edge refused at intake: ${figures}`);
    expect(r.attackers[0].acks, figures).toEqual({ rejected: base.epochs });
    expect(r.attackers[0].reasons).toHaveLength(1);
    expect(r.attackers[0].reasons[0]).toMatch(new RegExp(`^bad_counts: \\d+ samples exceed the round's maxSamples ${DEFAULT_MAX_SAMPLES}$`));
    for (const e of r.round_log) expect(e.aggregated).not.toContain('edge-0');
    expect(r['hr@10'], figures).toBeGreaterThanOrEqual(0.98 * c['hr@10']);
  }, 60_000);
});
