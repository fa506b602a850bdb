import { describe, expect, it } from 'vitest';
import { ATTACK_SCENARIOS, ROBUST_STRATEGIES, runPoisoningBench } from './poisoning-bench.js';

describe('runPoisoningBench', () => {
  it('reports clean, attacked and quarantined runs as one JSON object with consistent verdicts', async () => {
    const r = await runPoisoningBench({ quick: true, users: 150, items: 100, epochs: 3, edges: 6 });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    expect(r.config).toMatchObject({ edges: 6, epochs: 3, attacker_edges: [0, 1], partition: 'region' });
    expect(r.clean).toMatchObject({ strategy: 'fedavg', relative_to_clean: 1, within_2pct: true, rejected_rounds: 0 });
    expect(r.clean_robust).toEqual([]); // quick: skipped
    expect(r.scenarios.map((s) => s.name)).toEqual([ATTACK_SCENARIOS[0].name]);
    const rows = r.scenarios[0].rows;
    expect(rows.map((x) => [x.strategy, x.gate])).toEqual([['fedavg', true], ['fedavg', false], ...ROBUST_STRATEGIES.map((s) => [s.label, true])]);
    for (const x of [r.clean, ...rows]) {
      expect(x.relative_to_clean).toBeCloseTo(x['hr@10'] / r.clean['hr@10'], 3);
      expect(x.within_2pct).toBe(x['hr@10'] >= 0.98 * r.clean['hr@10'] - 1e-4);
      expect(x.rounds).toHaveLength(3);
    }
    // ×100 without any defence: the model is wrecked; every round names edge-0 as the largest delta
    const raw = rows[1];
    expect(raw.relative_to_clean).toBeLessThan(0.7);
    expect(raw.rounds.every((x) => x.norm_max?.node === 'edge-0')).toBe(true);
    const q = r.quarantine;
    expect(q).toMatchObject({
      nodes: ['edge-0', 'edge-1'], admin_status: [200, 200], excluded_deltas: 2, excluded_from_aggregation: true,
      refusal_reasons: ['quarantined: node is quarantined'],
    });
    // round 1's poisoned aggregate passed the gate (the initial model scores 0), so the operator rolls back to v1
    expect(q.rollback).toMatchObject({ to: 1, status: 200 });
    expect(q.refused_deltas).toBe(2); // round 3: one delta per quarantined edge
    expect(q.relative_to_clean).toBeGreaterThan(raw.relative_to_clean);
  });
});
