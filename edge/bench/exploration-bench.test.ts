import { describe, expect, it } from 'vitest';
import { runExplorationBench } from './exploration-bench.js';

describe('exploration benchmark', () => {
  it('runs both arms closed-loop and reports click-through per quarter', async () => {
    const r = await runExplorationBench({ users: 40, items: 80, steps: 400, seed: 2 });
    expect(r.greedy.explored_share).toBe(0);
    expect(r.explore.explored_share).toBeGreaterThan(0);
    for (const arm of [r.greedy, r.explore]) {
      expect(arm.ctr).toBeGreaterThan(0);
      expect(arm.ctr_by_quarter).toHaveLength(4);
    }
  });
});
