import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openEdgeDatabase } from './edge-database.js';
import { openDatabase } from './open-database.js';
import { WalSyncer } from './wal-syncer.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'wal-syncer-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('WalSyncer (group commit)', () => {
  it('shares one fdatasync among callers that arrive while none is running', async () => {
    const db = openDatabase(join(tempDir(), 'a.db'), { groupCommit: true });
    db.exec('CREATE TABLE t (x)');
    const s = new WalSyncer(`${db.name}-wal`);
    const first = s.sync();
    // Arrive while the first runs: they may have committed after it started, so they wait for
    // the next one, and all of them share that one.
    const later = [s.sync(), s.sync(), s.sync()];
    expect(new Set(later).size).toBe(1);
    await Promise.all([first, ...later]);
    expect(s.syncs).toBe(2);
    await s.sync();
    expect(s.syncs).toBe(3);
    await s.close();
    db.close();
  });

  it('refuses to sync after close, and reports a missing WAL file as a rejection', async () => {
    const s = new WalSyncer(join(tempDir(), 'nothing.db-wal'));
    await expect(s.sync()).rejects.toMatchObject({ code: 'ENOENT' });
    await s.close();
    await expect(s.sync()).rejects.toThrow(/closed/);
  });
});

describe('openEdgeDatabase durability', () => {
  it("commits at synchronous=NORMAL and fsyncs in durable() with 'power' (the default)", async () => {
    const edb = openEdgeDatabase(join(tempDir(), 'e.db'));
    expect(edb.db.pragma('synchronous', { simple: true })).toBe(1);
    edb.config.set('k', 1);
    await Promise.all([edb.durable(), edb.durable()]);
    expect(edb.syncs).toBeGreaterThanOrEqual(1);
    edb.close();
  });

  it("does no fsync of its own with 'process' durability", async () => {
    const edb = openEdgeDatabase(join(tempDir(), 'p.db'), { durability: 'process' });
    edb.config.set('k', 1);
    await edb.durable();
    expect(edb.syncs).toBe(0);
    edb.close();
  });
});
