import { describe, expect, it, vi } from 'vitest';
import { type CheckpointSource, SlicedCheckpoint } from './sliced-checkpoint.js';
import { events, ingest, ingestHandedOver, node, snapshot, turn, uncommittedSegments } from './learner-test-fixture.js';

const sliced = { checkpointSliceRows: 3, sliceMs: 0, replayProb: 0.3, replayCapacity: 16 };

describe('sliced learner checkpoints', () => {
  it('a crash between slices resumes from the previous generation and ends as an uninterrupted run', async () => {
    const crashed = node('a.db', sliced);
    crashed.learner.start();
    await ingest(crashed, events(0, 30));
    expect(await crashed.learner.checkpointInSlices()).toBe(true);
    await ingest(crashed, events(30, 45));
    const pending = crashed.learner.checkpointInSlices();
    await turn();
    expect(uncommittedSegments(crashed.edb)).toBeGreaterThan(0);
    crashed.learner.stop({ checkpoint: false }); // kill -9 between two slices
    expect(await pending).toBe(false);
    crashed.edb.close();

    const restarted = node('a.db', sliced);
    expect(restarted.learner.stats()).toMatchObject({ appliedSeq: 30, appliedCount: 30 });
    restarted.learner.start();
    await ingest(restarted, events(45, 60));
    expect(await restarted.learner.checkpointInSlices()).toBe(true);
    expect(uncommittedSegments(restarted.edb)).toBe(0);

    const reference = node('b.db', sliced);
    reference.learner.start();
    await ingest(reference, events(0, 60));
    expect(snapshot(restarted)).toEqual(snapshot(reference));
  });

  it('pauses learning while slices are written; what arrives meanwhile is learned after and written by the next one', async () => {
    const n = node('c.db', { checkpointSliceRows: 2, sliceMs: 0 });
    n.learner.start();
    await ingest(n, events(0, 20));
    const first = n.learner.checkpointInSlices();
    n.edb.events.insertBatch(events(20, 30), 0);
    n.learner.notify();
    await turn();
    expect(n.learner.stats().appliedSeq).toBe(20);
    expect(await first).toBe(true);
    expect(await n.learner.waitForApplied(30, 5000)).toBe(true);
    expect(n.learner.stats().checkpointSeq).toBe(20);
    expect(await n.learner.checkpointInSlices()).toBe(true);
    expect(n.learner.stats().checkpointSeq).toBe(30);
    const live = snapshot(n);
    n.learner.stop({ checkpoint: false });
    n.edb.close();

    const again = node('c.db');
    again.learner.start();
    expect(await again.learner.waitForApplied(30, 5000)).toBe(true);
    expect(again.calls.size).toBe(0);
    expect(snapshot(again)).toEqual(live);
  });

  it('a full checkpoint supersedes one being written in slices', async () => {
    const n = node('d.db', { checkpointSliceRows: 1, sliceMs: 0 });
    n.learner.start();
    await ingest(n, events(0, 25));
    const pending = n.learner.checkpointInSlices();
    await turn();
    n.learner.checkpoint();
    expect(await pending).toBe(false);
    expect(uncommittedSegments(n.edb)).toBe(0);
    const live = snapshot(n);
    n.learner.stop({ checkpoint: false });
    n.edb.close();
    const again = node('d.db');
    expect(again.learner.stats().appliedSeq).toBe(25);
    expect(snapshot(again)).toEqual(live);
  });

  it('never writes back a user erased after the checkpoint was captured', async () => {
    const n = node('e.db', { checkpointSliceRows: 2, sliceMs: 0, replayCapacity: 100 });
    n.learner.start();
    await ingest(n, events(0, 14));
    const pending = n.learner.checkpointInSlices();
    n.edb.transaction(() => {
      n.edb.events.deleteByUser('u1');
      n.edb.users.erase('u1');
      n.edb.replay.deleteByUser('u1');
    });
    n.learner.forgetUser('u1');
    expect(await pending).toBe(true);
    expect(n.edb.users.get('u1')).toBeUndefined();
    expect(n.edb.users.get('u2')).toBeDefined();
    expect(n.edb.replay.all().some((e) => e.user === 'u1')).toBe(false);
  });

  it('compacts: stored row entries stay within about twice the overlay, and reload is exact', async () => {
    const n = node('f.db', { checkpointSliceRows: 7, sliceMs: 0 });
    n.learner.start();
    let most = 0;
    let written = 0;
    let compactions = 0;
    for (let i = 0; i < 120; i++) {
      await ingest(n, events(i * 5, i * 5 + 5));
      const before = n.edb.models.storedRows();
      expect(await n.learner.checkpointInSlices()).toBe(true);
      const after = n.edb.models.storedRows();
      if (after < before) compactions++;
      written += Math.max(0, after - before);
      most = Math.max(most, after);
    }
    // 40 items: the overlay holds ≤ 40 rows and the rule's floor is 1024, so past 2 × 1024
    // stored entries a checkpoint rewrites the overlay and drops the rest.
    expect(written).toBeGreaterThan(2 * 1024 + 40); // without compaction the table would outgrow the bound
    expect(compactions).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(2 * 1024 + 40);
    const live = snapshot(n);
    n.learner.stop({ checkpoint: false });
    n.edb.close();
    expect(snapshot(node('f.db'))).toEqual(live);
  });

  it('learns handed-over events once each, reading the log only across a gap', async () => {
    const n = node('g.db');
    n.learner.start();
    await ingestHandedOver(n, events(0, 10));
    await ingest(n, events(10, 15)); // stored without handing over: a gap in the queued run
    await ingestHandedOver(n, events(15, 25));
    expect(n.learner.stats()).toMatchObject({ appliedCount: 25, appliedSeqSum: (25 * 26) / 2 });
    expect([...n.calls.values()].every((c) => c === 1)).toBe(true);
    expect(n.calls.size).toBe(25);
    const reference = node('h.db');
    reference.learner.start();
    await ingest(reference, events(0, 25));
    expect(snapshot(n)).toEqual(snapshot(reference));
  });

  it('does not query the log after a handed-over run when nothing was stored past it', async () => {
    const n = node('i.db');
    n.learner.start();
    await ingestHandedOver(n, events(0, 5)); // the first run: the log before it is read once
    const reads = vi.spyOn(n.edb.events, 'pendingAfter');
    await ingestHandedOver(n, events(5, 20));
    expect(reads).not.toHaveBeenCalled();
    expect(n.learner.stats()).toMatchObject({ appliedCount: 20 });
    await ingest(n, events(20, 23)); // stored another way: found in the log
    expect(reads).toHaveBeenCalled();
    expect(n.learner.stats()).toMatchObject({ appliedCount: 23 });
  });
});

describe('SlicedCheckpoint.writeSlice', () => {
  /** A checkpoint of `rows` rows over a fake store whose every segment write takes `pieceMs` on a fake clock. */
  function timedWriter(rows: number, pieceMs: number) {
    let clock = 0;
    const pieces: [number, number][] = [];
    const edb = {
      transaction: <T>(fn: () => T) => fn(),
      models: { writeSegments: (_g: number, _r: unknown, _i: unknown, _m: unknown, from: number, to: number) => {
        pieces.push([from, to]);
        clock += pieceMs;
      } },
    } as unknown as ConstructorParameters<typeof SlicedCheckpoint>[1];
    const source = { gen: 1, rows: Array.from({ length: rows }, (_, i) => i), compact: false } as unknown as CheckpointSource;
    const spy = vi.spyOn(performance, 'now').mockImplementation(() => clock);
    return { writer: new SlicedCheckpoint(source, edb, 10), pieces, restore: () => spy.mockRestore() };
  }

  it('stops before a piece that would not fit in the budget, writing at least one', () => {
    const { writer, pieces, restore } = timedWriter(100, 0.8);
    try {
      expect(writer.writeSlice(2)).toBe(false);
      expect(pieces).toEqual([[0, 10], [10, 20]]); // a third piece would end at 2.4 ms
      writer.writeSlice(0.5);
      expect(pieces).toHaveLength(3); // a piece longer than the budget still goes, alone
      while (!writer.writeSlice(2));
      expect(pieces.at(-1)).toEqual([90, 100]);
      expect(pieces).toHaveLength(10);
    } finally {
      restore();
    }
  });
});
