import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type EdgeDatabase, openEdgeDatabase } from './edge-database.js';

let dir: string;
let edb: EdgeDatabase;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgerec-users-'));
  edb = openEdgeDatabase(join(dir, 'edge.db'));
});
afterEach(() => {
  edb.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('UserStore', () => {
  it('round-trips vectors bit-exactly, accumulators and recent items', () => {
    fc.assert(
      fc.property(
        fc.float32Array({ minLength: 1, maxLength: 16, noDefaultInfinity: true, noNaN: true }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.array(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { maxLength: 30 }),
        (vec, accum, recent) => {
          edb.users.put('u', { vec, accum, recent }, 1);
          expect(edb.users.get('u')).toEqual({ vec, accum, recent });
        },
      ),
      { numRuns: 50 },
    );
  });

  it('erases a user idempotently', () => {
    edb.users.put('u1', { vec: new Float32Array(2), accum: 0, recent: [] }, 1);
    expect(edb.users.erase('u1')).toBe(true);
    expect(edb.users.erase('u1')).toBe(false);
    expect(edb.users.get('u1')).toBeUndefined();
    expect(edb.users.count()).toBe(0);
  });
});

describe('NodeConfigStore', () => {
  it('stores JSON values by key and overwrites them', () => {
    expect(edb.config.get('nodeId')).toBeUndefined();
    edb.config.set('nodeId', 'edge-1');
    edb.config.set('seen', { n: 3 });
    edb.config.set('seen', { n: 4 });
    expect(edb.config.get('nodeId')).toBe('edge-1');
    expect(edb.config.get('seen')).toEqual({ n: 4 });
    edb.config.delete('seen');
    expect(edb.config.get('seen')).toBeUndefined();
    expect(() => edb.config.set('bad', undefined)).toThrow(/serializable/);
  });
});

describe('ItemCatalogStore', () => {
  it('appends ids after the last index and refuses a repeated id atomically', () => {
    expect(edb.catalog.append(['i0', 'i1'])).toBe(2);
    expect(edb.catalog.append(['i2'])).toBe(3);
    expect(() => edb.catalog.append(['i3', 'i1'])).toThrow();
    expect(edb.catalog.loadAll()).toEqual(['i0', 'i1', 'i2']);
  });
});

describe('IdempotencyStore', () => {
  it('returns the saved response and prunes old keys', () => {
    edb.idempotency.save('k1', { bodyHash: 'h', status: 202, response: '{}', createdAt: 10 });
    edb.idempotency.save('k2', { bodyHash: 'h2', status: 202, response: '{"a":1}', createdAt: 20 });
    expect(edb.idempotency.get('k2')).toEqual({ bodyHash: 'h2', status: 202, response: '{"a":1}', createdAt: 20 });
    expect(edb.idempotency.pruneBefore(15)).toBe(1);
    expect(edb.idempotency.get('k1')).toBeUndefined();
    expect(edb.idempotency.count()).toBe(1);
  });
});

describe('ReplayStore', () => {
  it('keeps slots and deletes a user\'s slots', () => {
    edb.replay.put([{ slot: 0, user: 'a', itemIdx: 1, weight: 1 }, { slot: 1, user: 'b', itemIdx: 2, weight: 0.5 }]);
    edb.replay.put([{ slot: 0, user: 'c', itemIdx: 3, weight: 2 }]);
    expect(edb.replay.deleteByUser('b')).toBe(1);
    expect(edb.replay.all()).toEqual([{ slot: 0, user: 'c', itemIdx: 3, weight: 2 }]);
  });
});
