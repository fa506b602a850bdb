import { describe, expect, it } from 'vitest';
import { withClientStats } from './client-stats.js';

describe('withClientStats', () => {
  it('reports a stall of the event loop in its max and the CPU the stall burnt', async () => {
    const [value, stats] = await withClientStats(async () => {
      await new Promise((r) => setTimeout(r, 5));
      const until = performance.now() + 40;
      while (performance.now() < until); // hold the event loop for 40 ms
      await new Promise((r) => setTimeout(r, 5));
      return 'done';
    });
    expect(value).toBe('done');
    expect(stats.eld_max_ms).toBeGreaterThanOrEqual(40);
    expect(stats.eld_max_ms).toBeGreaterThanOrEqual(stats.eld_p99_ms);
    expect(stats.eld_p99_ms).toBeGreaterThanOrEqual(stats.eld_p50_ms);
    expect(stats.cpu_cores).toBeGreaterThan(0);
  });

  it('passes a failure through', async () => {
    await expect(withClientStats(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });
});
