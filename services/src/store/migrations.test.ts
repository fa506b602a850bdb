import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EDGE_MIGRATIONS, migrate, schemaVersion } from './migrations.js';
import { openDatabase } from './open-database.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgerec-migrate-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('migrate', () => {
  it('applies every migration once on a new file and nothing on a second run or after reopening', () => {
    const path = join(dir, 'edge.db');
    const db = openDatabase(path);
    expect(migrate(db, EDGE_MIGRATIONS)).toEqual(EDGE_MIGRATIONS.map((m) => m.version));
    expect(migrate(db, EDGE_MIGRATIONS)).toEqual([]);
    db.close();
    const again = openDatabase(path);
    expect(migrate(again, EDGE_MIGRATIONS)).toEqual([]);
    expect(schemaVersion(again)).toBe(EDGE_MIGRATIONS.at(-1)!.version);
    const tables = again.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['events', 'items', 'users', 'model_state', 'model_rows', 'outbox', 'idempotency_keys', 'replay_buffer']));
    again.close();
  });

  it('applies only the steps newer than the recorded version', () => {
    const db = openDatabase(join(dir, 'edge.db'));
    expect(migrate(db, EDGE_MIGRATIONS.slice(0, 2))).toEqual([1, 2]);
    expect(migrate(db, EDGE_MIGRATIONS)).toEqual(EDGE_MIGRATIONS.slice(2).map((m) => m.version));
    db.close();
  });

  it('rolls back a failing step and leaves the version where it was', () => {
    const db = openDatabase(join(dir, 'edge.db'));
    migrate(db, EDGE_MIGRATIONS);
    const broken = [...EDGE_MIGRATIONS, { version: 99, name: 'broken', up: 'CREATE TABLE t (x); SELECT * FROM nope;' }];
    expect(() => migrate(db, broken)).toThrow();
    expect(schemaVersion(db)).toBe(EDGE_MIGRATIONS.at(-1)!.version);
    expect(db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 't'").pluck().get()).toBe(0);
    db.close();
  });

  it('refuses migrations out of order', () => {
    const db = openDatabase(':memory:');
    expect(() => migrate(db, [EDGE_MIGRATIONS[1], EDGE_MIGRATIONS[0]])).toThrow(/increasing/);
    db.close();
  });

  it('opens files in WAL mode with FULL sync by default and NORMAL for process durability', () => {
    const full = openDatabase(join(dir, 'a.db'));
    expect(full.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(full.pragma('synchronous', { simple: true })).toBe(2);
    full.close();
    const normal = openDatabase(join(dir, 'b.db'), { durability: 'process' });
    expect(normal.pragma('synchronous', { simple: true })).toBe(1);
    normal.close();
  });
});
