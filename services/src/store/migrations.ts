import type { Db } from './open-database.js';

/** One schema step. Versions are strictly increasing; `up` runs once, inside a transaction. */
export interface Migration {
  version: number;
  name: string;
  up: string;
}

/**
 * Applies every migration newer than the database's `schema_version` and records it, each
 * in its own transaction, so a crash mid-way leaves a consistent, resumable schema.
 * Running it again is a no-op. Returns the versions applied by this call.
 *
 * @example
 * migrate(db, EDGE_MIGRATIONS); // [1, 2, 3, 4, 5] on a new file, [] afterwards
 */
export function migrate(db: Db, migrations: readonly Migration[]): number[] {
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i].version <= migrations[i - 1].version) throw new Error('migrations must have increasing versions');
  }
  db.exec(`CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const current = schemaVersion(db);
  const record = db.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)');
  const applied: number[] = [];
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.up);
      record.run(m.version, m.name, Date.now());
    })();
    applied.push(m.version);
  }
  return applied;
}

/** Highest applied migration version, 0 for a fresh database. */
export function schemaVersion(db: Db): number {
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null };
  return row.v ?? 0;
}

/** The edge node's schema, oldest first. Append new steps; never edit a shipped one. */
export const EDGE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'events, item catalog, node config',
    up: `
      -- AUTOINCREMENT: seq must never be reused after an erase, or an event could land
      -- below the learner's applied watermark and never be learned.
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL UNIQUE,
        user TEXT NOT NULL,
        item TEXT NOT NULL,
        item_idx INTEGER NOT NULL,
        type TEXT NOT NULL,
        weight REAL NOT NULL,
        ts INTEGER NOT NULL,
        committed_at INTEGER NOT NULL
      );
      CREATE INDEX events_user_item ON events (user, item_idx);
      CREATE TABLE items (idx INTEGER PRIMARY KEY, item_id TEXT NOT NULL UNIQUE);
      CREATE TABLE node_config (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `,
  },
  {
    version: 2,
    name: 'private user state, local model',
    up: `
      CREATE TABLE users (
        user TEXT PRIMARY KEY,
        vec BLOB NOT NULL,
        accum REAL NOT NULL,
        recent BLOB NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE model_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL,
        parent INTEGER,
        num_items INTEGER NOT NULL,
        dim INTEGER NOT NULL,
        config TEXT NOT NULL,
        base BLOB NOT NULL,
        adapter BLOB NOT NULL,
        adapter_accum BLOB NOT NULL,
        adapter_count INTEGER NOT NULL,
        samples INTEGER NOT NULL,
        applied_seq INTEGER NOT NULL,
        applied_count INTEGER NOT NULL,
        applied_seq_sum INTEGER NOT NULL,
        last_sync_at INTEGER,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE model_rows (
        row INTEGER PRIMARY KEY,
        emb BLOB NOT NULL,
        bias REAL NOT NULL,
        accum REAL NOT NULL,
        count INTEGER NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'outbox and error-feedback residual',
    up: `
      CREATE TABLE outbox (
        delta_id TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL,
        base_version INTEGER NOT NULL,
        bytes BLOB NOT NULL,
        meta TEXT NOT NULL
      );
      CREATE INDEX outbox_created ON outbox (created_at);
      CREATE TABLE residual_rows (row INTEGER PRIMARY KEY, vals BLOB NOT NULL);
      CREATE TABLE residual_adapter (id INTEGER PRIMARY KEY CHECK (id = 1), dim INTEGER NOT NULL, vals BLOB);
    `,
  },
  {
    version: 4,
    name: 'idempotency keys and replay buffer',
    up: `
      CREATE TABLE idempotency_keys (
        key TEXT PRIMARY KEY,
        body_hash TEXT NOT NULL,
        status INTEGER NOT NULL,
        response TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX idempotency_created ON idempotency_keys (created_at);
      CREATE TABLE replay_buffer (
        slot INTEGER PRIMARY KEY,
        user TEXT NOT NULL,
        item_idx INTEGER NOT NULL,
        weight REAL NOT NULL
      );
      CREATE INDEX replay_user ON replay_buffer (user);
    `,
  },
  {
    version: 5,
    name: 'sync reference of extracted rows',
    up: `
      -- The local value of every row at the last delta extraction since the current global
      -- base was installed: the next delta is local − reference, so nothing is sent twice.
      CREATE TABLE sync_ref_rows (row INTEGER PRIMARY KEY, vals BLOB NOT NULL);
      CREATE TABLE sync_ref_adapter (id INTEGER PRIMARY KEY CHECK (id = 1), vals BLOB NOT NULL);
    `,
  },
  {
    version: 6,
    name: 'model rows as checkpoint segments; base weights in their own table',
    up: `
      -- A checkpoint stores its item rows as a few packed segments of one generation; the
      -- generation counts once model_state.committed_gen reaches it, so a checkpoint can write
      -- its segments in several short transactions and commit them with one small one.
      -- model_rows (older files) is still read, under every segment, until a compaction.
      CREATE TABLE model_segments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        gen INTEGER NOT NULL,
        rows INTEGER NOT NULL,
        data BLOB NOT NULL
      );
      CREATE INDEX model_segments_gen ON model_segments (gen);
      ALTER TABLE model_state ADD COLUMN committed_gen INTEGER NOT NULL DEFAULT 0;
      -- The base blob (12.8 MB at 50k × 64) made every UPDATE of the small model_state row,
      -- i.e. every checkpoint, rewrite it, and every read of a later column walk it.
      CREATE TABLE model_base (id INTEGER PRIMARY KEY CHECK (id = 1), weights BLOB NOT NULL);
      INSERT INTO model_base (id, weights) SELECT 1, base FROM model_state WHERE id = 1;
      ALTER TABLE model_state DROP COLUMN base;
    `,
  },
];
