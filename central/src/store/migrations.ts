import type { Database } from 'better-sqlite3';

/**
 * Numbered schema migrations of central's SQLite file. `PRAGMA user_version` records the
 * last one applied; each runs in its own transaction, so a crash mid-migration leaves the
 * previous version intact and re-running `migrate` is a no-op once all are applied.
 * Append new migrations; never edit an applied one.
 */
export const MIGRATIONS: readonly { id: number; name: string; sql: string }[] = [
  {
    id: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE rounds (
        id INTEGER PRIMARY KEY,
        state TEXT NOT NULL CHECK (state IN ('open', 'closed', 'aggregated', 'promoted', 'rejected')),
        base_version INTEGER NOT NULL,
        policy TEXT NOT NULL,
        opened_at INTEGER NOT NULL,
        deadline INTEGER NOT NULL,
        closed_at INTEGER,
        reason TEXT,
        stats TEXT,
        candidate_version INTEGER
      );
      CREATE TABLE received_deltas (
        delta_id TEXT PRIMARY KEY,
        node_id TEXT NOT NULL,
        round_id INTEGER,
        base_version INTEGER NOT NULL,
        samples INTEGER NOT NULL,
        codec TEXT NOT NULL,
        bytes BLOB,
        size INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('counted', 'late', 'rejected', 'quarantined')),
        weight REAL NOT NULL,
        reason TEXT
      );
      CREATE INDEX received_deltas_by_round ON received_deltas (round_id, status);
      CREATE TABLE model_registry (
        version INTEGER PRIMARY KEY,
        parent INTEGER,
        created_at INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('candidate', 'promoted', 'rejected', 'rolled-back')),
        metrics TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        codec TEXT NOT NULL,
        num_items INTEGER NOT NULL,
        dim INTEGER NOT NULL,
        artifact BLOB NOT NULL,
        patch BLOB,
        patch_sha256 TEXT,
        round_id INTEGER,
        reason TEXT
      );
      CREATE TABLE nodes (
        node_id TEXT PRIMARY KEY,
        region TEXT,
        status TEXT,
        last_seen INTEGER,
        online INTEGER NOT NULL DEFAULT 0,
        quarantined INTEGER NOT NULL DEFAULT 0,
        paused INTEGER NOT NULL DEFAULT 0,
        last_delta_at INTEGER
      );
      CREATE TABLE strategy_state (
        name TEXT PRIMARY KEY,
        state BLOB NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts INTEGER NOT NULL,
        actor TEXT NOT NULL,
        role TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        details TEXT NOT NULL
      );
      CREATE TABLE kv (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    id: 2,
    name: 'federated evaluation reports',
    sql: `
      CREATE TABLE node_evals (
        node_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        hr10 REAL NOT NULL,
        ndcg10 REAL NOT NULL,
        users INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        PRIMARY KEY (node_id, version)
      );
    `,
  },
];

/**
 * Applies the migrations newer than the file's `user_version`; returns how many ran.
 *
 * @example
 * migrate(db); // 2 on a fresh file, 0 afterwards
 */
export function migrate(db: Database): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  let applied = 0;
  for (const m of MIGRATIONS) {
    if (m.id <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.id}`);
    })();
    applied++;
  }
  return applied;
}
