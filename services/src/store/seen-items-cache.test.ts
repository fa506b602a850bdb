import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type EdgeDatabase, openEdgeDatabase } from './edge-database.js';
import { EventStore, type NewEvent } from './event-store.js';
import { SeenItemsCache } from './seen-items-cache.js';

let dir: string;
let edb: EdgeDatabase;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgerec-seen-'));
  edb = openEdgeDatabase(join(dir, 'edge.db'));
});
afterEach(() => {
  edb.close();
  rmSync(dir, { recursive: true, force: true });
});

const USERS = ['a', 'b', 'c', 'd'];
type Op =
  | { kind: 'insert'; user: number; item: number }
  | { kind: 'commit' | 'rollback' | 'unconfirmed'; user: number; item: number }
  | { kind: 'erase'; user: number }
  | { kind: 'read'; user: number };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom('insert' as const, 'commit' as const, 'rollback' as const, 'unconfirmed' as const), user: fc.nat(3), item: fc.nat(9) }),
  fc.record({ kind: fc.constant('erase' as const), user: fc.nat(3) }),
  fc.record({ kind: fc.constant('read' as const), user: fc.nat(3) }),
);

describe('seen items (EventStore.seenItems over SeenItemsCache)', () => {
  it('always equals the log: direct inserts, committed, rolled-back and unconfirmed outer transactions, erasures, evictions', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        edb.db.exec('DELETE FROM events');
        const events = new EventStore(edb.db, 3); // 3 users cached of 4: evictions happen
        let n = 0;
        const ev = (user: number, item: number): NewEvent => ({
          eventId: `e${n++}`, user: USERS[user], item: `i${item}`, itemIdx: item, type: 'click', weight: 1, ts: 0,
        });
        for (const o of ops) {
          if (o.kind === 'insert') events.insertBatch([ev(o.user, o.item)], 0);
          else if (o.kind === 'erase') events.deleteByUser(USERS[o.user]);
          else if (o.kind === 'read') events.seenItems(USERS[o.user]);
          else {
            const e = ev(o.user, o.item);
            try {
              edb.transaction(() => {
                events.insertBatch([e], 0);
                if (o.kind === 'rollback') throw new Error('rolled back');
              });
              if (o.kind === 'commit') events.confirmSeen(true);
            } catch {
              events.confirmSeen(false);
            }
          }
          // The op's user first, while it may still be cached; then all (3 cached of 4: reads evict).
          for (const u of [USERS[o.user], ...USERS]) expect([...events.seenItems(u)].sort()).toEqual([...new Set(events.itemsOfUser(u))].sort());
        }
      }),
      { numRuns: 150 },
    );
  });

  it('serves repeated reads from memory, not the log', () => {
    let loads = 0;
    const cache = new SeenItemsCache(10, (user) => (loads++, user === 'u' ? [1, 2] : []));
    expect([...cache.get('u')]).toEqual([1, 2]);
    cache.added([{ user: 'u', itemIdx: 3 }, { user: 'other', itemIdx: 9 }]);
    expect([...cache.get('u')]).toEqual([1, 2, 3]);
    expect(loads).toBe(1);
    expect(cache.size).toBe(1); // an uncached user's insert does not load it
  });

  it('keeps at most capacity users, dropping the least recently read', () => {
    const cache = new SeenItemsCache(2, () => []);
    cache.get('a');
    cache.get('b');
    cache.get('a');
    cache.get('c'); // evicts b
    expect(cache.size).toBe(2);
    let loads = 0;
    const probe = new SeenItemsCache(2, () => (loads++, []));
    for (const u of ['a', 'b', 'a', 'c', 'a']) probe.get(u);
    expect(loads).toBe(3); // a, b, c; the last 'a' was still cached
  });
});
