import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isStorageFull, limitDatabaseSize, openDatabase } from './open-database.js';

const file = () => join(mkdtempSync(join(tmpdir(), 'open-db-')), 'x.db');

describe('database size cap', () => {
  it('refuses growth past the cap with SQLITE_FULL, rolls the transaction back and keeps what was committed', () => {
    const path = file();
    const db = openDatabase(path, { durability: 'process', maxBytes: 64 * 1024 });
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL)');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const batch = db.transaction((n: number) => {
      for (let i = 0; i < n; i++) insert.run(Buffer.alloc(1000, i));
    });
    let committed = 0;
    let failure: unknown;
    for (let round = 0; round < 200 && !failure; round++) {
      try {
        batch(5);
        committed += 5;
      } catch (e) {
        failure = e;
      }
    }
    expect(isStorageFull(failure)).toBe(true);
    expect(committed).toBeGreaterThan(10);
    expect(db.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: committed }); // nothing of the failed batch
    db.close();
    const again = openDatabase(path, { readonly: true });
    expect(again.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(again.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: committed });
    again.close();
  });

  it('keeps the current size when asked for a smaller cap, and reports the cap it set', () => {
    const db = openDatabase(file(), { durability: 'process' });
    db.exec('CREATE TABLE t (v BLOB)');
    db.prepare('INSERT INTO t VALUES (?)').run(Buffer.alloc(50_000));
    const size = (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
    expect(limitDatabaseSize(db, 1024)).toBe(size);
    expect(limitDatabaseSize(db, 10 * 1024 * 1024)).toBe(10 * 1024 * 1024);
    db.close();
  });

  it('tells a full database from other errors', () => {
    expect(isStorageFull(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }))).toBe(true);
    expect(isStorageFull(Object.assign(new Error('busy'), { code: 'SQLITE_BUSY' }))).toBe(false);
    expect(isStorageFull(null)).toBe(false);
  });
});
