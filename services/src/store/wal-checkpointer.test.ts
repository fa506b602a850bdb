import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openEdgeDatabase } from './edge-database.js';
import { openDatabase } from './open-database.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function until(cond: () => boolean, what: string): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > 10_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('WalCheckpointer', () => {
  it('checkpoints the WAL from its worker, so the file restarts small and the data reads back intact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wal-cp-'));
    dirs.push(dir);
    const path = join(dir, 'e.db');
    const edb = openEdgeDatabase(path, { checkpointWorker: true, durability: 'process' });
    const cp = edb.checkpointer!;
    expect(edb.db.pragma('wal_autocheckpoint', { simple: true })).toBe(16_384);
    const put = edb.db.prepare('INSERT INTO node_config (key, value) VALUES (?, ?)');
    const big = 'x'.repeat(2000);
    edb.transaction(() => {
      for (let i = 0; i < 3000; i++) put.run(`k${i}`, big);
    });
    const grown = statSync(`${path}-wal`).size;
    expect(grown).toBeGreaterThan(4_000_000); // past the default 1000-page automatic checkpoint
    cp.kick();
    await until(() => cp.stats.runs > 0, 'a checkpoint');
    expect(cp.stats.lastCheckpointed).toBe(cp.stats.lastLog);
    // The next writer restarts the WAL from its beginning: it stops growing.
    for (let round = 0; round < 3; round++) {
      edb.transaction(() => {
        for (let i = 0; i < 3000; i++) put.run(`r${round}-${i}`, big);
      });
      const runs = cp.stats.runs;
      cp.kick();
      await until(() => cp.stats.runs > runs, 'another checkpoint');
    }
    expect(statSync(`${path}-wal`).size).toBeLessThanOrEqual(grown * 1.05);
    expect(cp.stats.failures).toBe(0);
    edb.close();
    await cp.stop();
    const check = openDatabase(path, { readonly: true });
    expect(check.prepare("SELECT COUNT(*) FROM node_config WHERE value = ?").pluck().get(big)).toBe(12_000);
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    check.close();
  });

  it('is not started for in-memory databases', () => {
    const edb = openEdgeDatabase(':memory:', { checkpointWorker: true });
    expect(edb.checkpointer).toBeNull();
    edb.close();
  });
});
