import { describe, expect, it } from 'vitest';
import { runSyncLatencyBench } from './sync-latency-bench.js';

describe('sync-latency bench (real broker, central and 3 edge processes)', () => {
  it('times each driven round as an ordered chain, every edge ends on the promoted version, and reports bytes against the dense model', async () => {
    const r = await runSyncLatencyBench({ quick: true, rounds: 2, warmup: 1 });

    expect(r.config).toMatchObject({ edges: 3, rounds: 2, warmup_rounds: 1, broker: 'embedded', mqtt_protocol: 4 });
    expect(r.rounds).toHaveLength(2);
    expect(r.warmup).toHaveLength(1);
    const all = [...r.warmup, ...r.rounds];
    all.forEach((m, i) => {
      // one promoted version per round, in order: nothing skipped, nothing rejected
      expect(m.version).toBe(all[0].version + i);
      expect(m.t_ack_ms).toBeGreaterThan(0);
      expect(m.t_learned_ms).toBeGreaterThanOrEqual(m.t_ack_ms);
      expect(m.t_delta_ms).toBeGreaterThanOrEqual(m.t_learned_ms);
      expect(m.t_promoted_ms).toBeGreaterThanOrEqual(m.t_delta_ms);
      expect(m.t_all_edges_ms).toBeGreaterThanOrEqual(m.t_promoted_ms);
      expect(m.edges.map((e) => e.id)).toEqual(['edge-r0', 'edge-r1', 'edge-r2']);
      for (const e of m.edges) {
        // every edge shipped a delta central counted, and got the release
        expect(e.delta_id).not.toBeNull();
        expect(e.counted_ms).not.toBeNull();
        expect(e.up_bytes).toBeGreaterThan(0);
        expect(e.up_bytes).toBeLessThan(e.up_dense_rows_bytes);
        expect(e.down_snapshot_bytes + e.down_patch_bytes).toBeGreaterThan(0);
        expect(e.serving_ms).toBeLessThanOrEqual(m.t_all_edges_ms);
      }
      expect(m.snapshot_bytes).toBeGreaterThan(0);
    });
    for (const stage of ['t_ack', 't_learned', 't_delta', 't_promoted', 't_all_edges'] as const) {
      expect(r.stages[stage].p50_ms).toBeLessThanOrEqual(r.stages[stage].p95_ms);
    }
    expect(r.e2e_p50_ms).toBe(r.stages.t_all_edges.p50_ms);
    const dense = 4 * (400 * 16 + 400 + 2 * 16 * 8 + 1);
    expect(r.bytes.dense_model_bytes).toBe(dense);
    expect(r.bytes.baseline_dense_per_round).toEqual({ up_total: 3 * dense, down_total: 3 * dense });
    expect(r.bytes.per_round.up_total).toBeGreaterThan(0);
    expect(r.bytes.up_vs_dense_ratio).toBeGreaterThan(0);
    expect(r.bytes.up_vs_dense_ratio).toBeLessThan(1);
    expect(r.method.join(' ')).toMatch(/polled every 5 ms/);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r); // plain JSON, as the CLI prints it
  }, 120_000);
});
