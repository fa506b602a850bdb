import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type EdgeDatabase, openEdgeDatabase } from './edge-database.js';
import type { NewEvent } from './event-store.js';

let dir: string;
let edb: EdgeDatabase;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgerec-events-'));
  edb = openEdgeDatabase(join(dir, 'edge.db'));
});
afterEach(() => {
  edb.close();
  rmSync(dir, { recursive: true, force: true });
});

const ev = (eventId: string, user = 'u1', itemIdx = 0): NewEvent => ({
  eventId, user, item: `i${itemIdx}`, itemIdx, type: 'click', weight: 0.5, ts: 1000,
});

describe('EventStore', () => {
  it('stores a batch and reports a re-sent or repeated eventId as duplicate', () => {
    const first = edb.events.insertBatch([ev('a'), ev('b'), ev('a')], 5);
    expect(first.outcomes).toEqual([{ status: 'accepted', seq: 1 }, { status: 'accepted', seq: 2 }, { status: 'duplicate' }]);
    const again = edb.events.insertBatch([ev('b'), ev('c')], 6);
    expect(again).toMatchObject({ accepted: 1, duplicates: 1, rejected: 0 });
    expect(edb.events.count()).toBe(3);
    expect(edb.events.pendingAfter(0, 10).map((e) => [e.eventId, e.committedAt])).toEqual([['a', 5], ['b', 5], ['c', 6]]);
  });

  it('does not store events the admit callback refuses', () => {
    const r = edb.events.insertBatch([ev('a', 'u1'), ev('b', 'u2')], 1, (e) =>
      e.user === 'u2' ? { code: 'rate_limited', message: 'slow down' } : null);
    expect(r.outcomes[1]).toEqual({ status: 'rejected', code: 'rate_limited', message: 'slow down' });
    expect(r).toMatchObject({ accepted: 1, duplicates: 0, rejected: 1 });
    expect(edb.events.has('b')).toBe(false);
  });

  it('rolls back the whole batch when anything in it throws', () => {
    expect(() => edb.events.insertBatch([ev('a'), ev('b')], 1, (e) => {
      if (e.eventId === 'b') throw new Error('boom');
      return null;
    })).toThrow('boom');
    expect(edb.events.count()).toBe(0);
  });

  it('never reuses a seq after the newest events were erased', () => {
    edb.events.insertBatch([ev('a', 'u1'), ev('b', 'u2')], 1);
    edb.events.deleteByUser('u2');
    const r = edb.events.insertBatch([ev('c', 'u3')], 2);
    expect(r.outcomes[0]).toEqual({ status: 'accepted', seq: 3 });
    expect(edb.events.maxSeq()).toBe(3);
  });

  it('lists a user\'s newest events oldest first and deletes them all', () => {
    edb.events.insertBatch([ev('a', 'u1', 1), ev('b', 'u2', 2), ev('c', 'u1', 3), ev('d', 'u1', 3)], 1);
    expect(edb.events.listByUser('u1', 2).map((e) => e.eventId)).toEqual(['c', 'd']);
    expect(edb.events.itemsOfUser('u1').sort()).toEqual([1, 3]);
    expect(edb.events.deleteByUser('u1')).toHaveLength(3);
    expect(edb.events.deleteByUser('u1')).toEqual([]);
    expect(edb.events.listByUser('u1')).toEqual([]);
    expect(edb.events.popularity()).toEqual([{ itemIdx: 2, weight: 0.5 }]);
  });

  it('pendingAfter pages through the log in seq order', () => {
    edb.events.insertBatch(Array.from({ length: 7 }, (_, i) => ev(`e${i}`)), 1);
    expect(edb.events.pendingAfter(2, 3).map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(edb.events.pendingAfter(7, 3)).toEqual([]);
  });

  it('keeps committed events across a reopen of the file', () => {
    edb.events.insertBatch([ev('a'), ev('b')], 1);
    edb.close();
    edb = openEdgeDatabase(join(dir, 'edge.db'));
    expect(edb.events.count()).toBe(2);
    expect(edb.events.insertBatch([ev('a')], 2).duplicates).toBe(1);
  });

  it('stores each distinct eventId exactly once whatever the batches (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 20 }), { maxLength: 8 }), (batches) => {
        edb.db.exec('DELETE FROM events');
        let accepted = 0;
        let total = 0;
        for (const b of batches) {
          const r = edb.events.insertBatch(b.map((n) => ev(`p${n}`)), 1);
          accepted += r.accepted;
          total += b.length;
          expect(r.accepted + r.duplicates).toBe(b.length);
        }
        const distinct = new Set(batches.flat()).size;
        expect(accepted).toBe(distinct);
        expect(edb.events.count()).toBe(distinct);
        expect(total - accepted).toBe(batches.flat().length - distinct);
      }),
      { numRuns: 50 },
    );
  });
});
