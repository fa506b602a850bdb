import { cloneWeights } from '@edgerec/services/model';
import { describe, expect, it } from 'vitest';
import { events, ingest, node, snapshot } from './learner-test-fixture.js';

describe('OnlineLearner', () => {
  it('applies every event exactly once across a crash and ends in the same state as an uninterrupted run', async () => {
    const opts = { replayProb: 0.3, replayCapacity: 16 };
    const crashed = node('a.db', opts);
    crashed.learner.start();
    await ingest(crashed, events(0, 30));
    crashed.learner.checkpoint();
    await ingest(crashed, events(30, 40));
    crashed.learner.stop({ checkpoint: false }); // kill: events 30..39 were learned only in memory
    crashed.edb.close();

    const restarted = node('a.db', opts);
    expect(restarted.learner.stats()).toMatchObject({ appliedSeq: 30, appliedCount: 30, startedFromSeq: 30 });
    restarted.learner.start();
    await ingest(restarted, events(40, 60));
    const stats = restarted.learner.stats();
    expect(stats.appliedCount).toBe(60);
    expect(stats.appliedSeqSum).toBe((60 * 61) / 2);

    const reference = node('b.db', opts);
    reference.learner.start();
    await ingest(reference, events(0, 30));
    await ingest(reference, events(30, 40));
    await ingest(reference, events(40, 60));
    expect(snapshot(restarted)).toEqual(snapshot(reference));
  });

  it('re-learns only the events after the checkpoint, once each', async () => {
    const first = node('c.db');
    first.learner.start();
    await ingest(first, events(0, 20));
    first.learner.checkpoint();
    await ingest(first, events(20, 35));
    first.learner.stop({ checkpoint: false });
    first.edb.close();

    const second = node('c.db');
    second.learner.start();
    expect(await second.learner.waitForApplied(35, 5000)).toBe(true);
    expect([...second.calls.keys()].sort()).toEqual(events(20, 35).map((e) => `${e.itemIdx}`).sort());
    expect([...second.calls.values()].every((c) => c === 1)).toBe(true);
    second.learner.stop();
    second.edb.close();
    const third = node('c.db');
    third.learner.start();
    expect(await third.learner.waitForApplied(35, 5000)).toBe(true);
    expect(third.calls.size).toBe(0);
    expect(third.learner.stats()).toMatchObject({ appliedSeq: 35, appliedCount: 35 });
  });

  it('waitForApplied resolves false on timeout for a seq that never comes', async () => {
    const n = node('d.db');
    n.learner.start();
    expect(await n.learner.waitForApplied(5, 20)).toBe(false);
    await ingest(n, events(0, 5));
    expect(await n.learner.waitForApplied(5, 20)).toBe(true);
    n.learner.stop();
  });

  it('skips over erased events so waiters on them resolve', async () => {
    const n = node('e.db');
    n.edb.events.insertBatch(events(0, 3), 0);
    n.edb.events.deleteByUser('u2');
    n.learner.start();
    expect(await n.learner.waitForApplied(3, 5000)).toBe(true);
    expect(n.learner.stats().appliedCount).toBe(2);
    n.learner.stop();
  });

  it('keeps at most maxCachedUsers states in memory and persists every user', async () => {
    const n = node('f.db', { maxCachedUsers: 3 });
    n.learner.start();
    await ingest(n, events(0, 40));
    expect(n.learner.stats().cachedUsers).toBeLessThanOrEqual(3);
    n.learner.stop();
    expect(n.edb.users.count()).toBe(7);
  });

  it('forgets an erased user\'s cached state and reservoir slots', async () => {
    const n = node('g.db', { replayCapacity: 100 });
    n.learner.start();
    await ingest(n, events(0, 14));
    expect(n.learner.userState('u1')).toBeDefined();
    n.edb.transaction(() => {
      n.edb.users.erase('u1');
      n.edb.replay.deleteByUser('u1');
    });
    n.learner.forgetUser('u1');
    expect(n.learner.userState('u1')).toBeUndefined();
    expect(n.learner.stats().replaySize).toBe(12);
    n.learner.stop();
    expect(n.edb.replay.all().some((e) => e.user === 'u1')).toBe(false);
  });

  it('persists a hot-swapped model with its version, and keeps learning on it', async () => {
    const n = node('h.db');
    n.learner.start();
    await ingest(n, events(0, 10));
    const next = cloneWeights(n.holder.model.weights);
    next.itemBias.fill(0.25);
    n.holder.swap(next, 4, { syncedAt: 123 });
    await ingest(n, events(10, 12));
    n.learner.stop();
    n.edb.close();
    const again = node('h.db');
    expect(again.holder).toMatchObject({ version: 4, parent: 0, lastSyncAt: 123 });
    expect(again.holder.base.itemBias[39]).toBeCloseTo(0.25);
    expect(again.holder.model.weights).toEqual(n.holder.model.weights);
    expect(again.learner.stats().appliedSeq).toBe(12);
  });
});
