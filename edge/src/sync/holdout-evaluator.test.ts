import { describe, expect, it } from 'vitest';
import { openEdgeDatabase } from '@edgerec/services/store';
import { createEdgeCore } from '../edge-core.js';
import { HoldoutEvaluator, HoldoutPolicy } from './holdout-evaluator.js';

describe('federated evaluation on held-out events', () => {
  it('never trains on held-out events and ranks each cohort user\'s latest one', async () => {
    const policy = new HoldoutPolicy({ userEvery: 2, eventEvery: 3 });
    const core = createEdgeCore({
      edb: openEdgeDatabase(':memory:'), nodeId: 'e1', region: 'r', seed: 5, numItems: 60, dim: 8,
      learner: { holdout: policy.isHeldOut, replayProb: 0 }, rateLimit: { perSecond: 1e6, burst: 1e6 },
    });
    const events = Array.from({ length: 300 }, (_, k) => ({ eventId: `ev${k}`, user: `u${k % 12}`, item: `i${(k * 7) % 60}`, type: 'click' as const }));
    core.ingestor.ingest({ events });
    core.learner.notify();
    expect(await core.learner.waitForApplied(core.edb.events.maxSeq(), 10_000)).toBe(true);
    const heldOut = events.filter(policy.isHeldOut);
    expect(heldOut.length).toBeGreaterThan(0);
    expect(core.holder.model.tracker.samples).toBe(events.length - heldOut.length);
    const cohortWithTests = new Set(heldOut.map((e) => e.user));
    const ev = new HoldoutEvaluator({ edb: core.edb, holder: core.holder, userState: (u) => core.learner.userState(u), policy });
    const r = ev.evaluate();
    expect(r.users).toBe(cohortWithTests.size);
    expect(r.hr10).toBeGreaterThanOrEqual(0);
    expect(r.hr10).toBeLessThanOrEqual(1);
    expect(ev.evaluate()).toEqual(r); // same candidates every time: versions are compared on equal terms
    core.close();
  });
});
