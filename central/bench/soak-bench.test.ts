import { describe, expect, it } from 'vitest';
import { runSoakBench } from './soak-bench.js';

describe('soak bench (real broker, central and 3 edge processes under load)', () => {
  it('samples every process, then finds every acked event stored once, deltas counted once and all edges on one version', async () => {
    const r = await runSoakBench({
      minutes: 0.15, rate: 40, items: 400, dim: 16, users: 50, sampleEveryS: 1.5, roundIntervalMs: 3_000, syncIntervalMs: 1_000,
    });

    const names = ['broker', 'central', 'edge-r0', 'edge-r1', 'edge-r2', 'driver'];
    expect(r.samples.length).toBeGreaterThanOrEqual(4);
    for (const s of r.samples) {
      expect(Object.keys(s.rss_mb).sort()).toEqual(names.slice().sort());
      for (const mb of Object.values(s.rss_mb)) expect(mb).toBeGreaterThan(10);
    }
    expect(r.samples.map((s) => s.events_acked)).toEqual(r.samples.map((s) => s.events_acked).sort((a, b) => a - b));
    expect(Object.keys(r.memory).sort()).toEqual(names.slice().sort());
    for (const m of Object.values(r.memory)) expect(typeof m.flat).toBe('boolean');
    expect(r.memory_flat).toBe(names.filter((n) => n !== 'driver').every((n) => r.memory[n].flat));

    expect(r.serving.requests).toBeGreaterThan(0);
    expect(r.serving.p50_ms).toBeLessThanOrEqual(r.serving.p99_ms);
    expect(r.serving.within_goal).toBe(r.serving.p99_ms <= r.serving.goal_p99_ms);

    // the books: nothing acked is lost or stored twice, nothing appears from nowhere
    expect(r.events.acked).toBeGreaterThan(0);
    expect(r.events.acked + r.events.refused + r.events.errors).toBe(r.events.sent);
    expect(r.events).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
    expect(r.events.accounted).toBe(r.events.acked);
    for (const e of r.accounting.edges) {
      expect(e.learner_caught_up).toBe(true);
      expect(e.deltas_created).toBeGreaterThan(0);
      expect(e.central_counted).toBe(e.deltas_created);
      expect(e.deltas_acked).toBe(e.deltas_created);
      expect(e.version).toBe(r.accounting.central_version);
    }
    expect(r.accounting.deltas_exactly_once).toBe(true);
    expect(r.rounds.promoted).toBeGreaterThanOrEqual(1);
    expect(r.converged).toBe(true);
  }, 120_000);
});
