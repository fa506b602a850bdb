import Database from 'better-sqlite3';

/** The better-sqlite3 connection type used by every store module. */
export type Db = Database.Database;

/**
 * How far a commit is guaranteed to survive:
 * - `'process'` — `synchronous=NORMAL` + WAL. A committed transaction is in the WAL file
 *   (written with write(2) before COMMIT returns), so it survives kill -9 of the process:
 *   the OS page cache still holds it and writes it out. Only an OS crash or power loss
 *   between commit and the next WAL checkpoint can lose it.
 * - `'power'` — `synchronous=FULL` + WAL: COMMIT also fsyncs the WAL, so an acknowledged
 *   write survives power loss too, at the cost of one fsync per transaction. With
 *   `groupCommit` the connection stays at `synchronous=NORMAL` and the caller fsyncs the WAL
 *   off the event loop before it acknowledges (`WalSyncer`, what the edge does).
 *
 * DESIGN §5 promises that an acknowledged event survives, so `'power'` is the default; the
 * edge opens with `groupCommit` and acknowledges after `EdgeDatabase.durable()` (one fsync
 * shared by concurrent requests). `'process'` is there for benchmarks and throw-away nodes.
 */
export type Durability = 'process' | 'power';

export interface OpenDatabaseOptions {
  durability?: Durability;
  /** How long a writer waits for a lock held by another connection (ms). */
  busyTimeoutMs?: number;
  readonly?: boolean;
  /**
   * With `'power'`: commit at `synchronous=NORMAL` and leave the fsync to a `WalSyncer` that
   * the caller awaits before acknowledging (group commit off the event loop).
   */
  groupCommit?: boolean;
  /** Cap on the database size (see `limitDatabaseSize`); unlimited when absent. */
  maxBytes?: number;
}

/**
 * Opens (creating if needed) a SQLite database with the pragmas every edgerec store
 * expects: WAL journal, the chosen durability, foreign keys on and a busy timeout so a
 * second connection (a test reading the file, a CLI inspecting it) waits instead of failing.
 * `':memory:'` works too (WAL is then silently unavailable, which tests do not need).
 *
 * @example
 * const db = openDatabase('/var/lib/edgerec/edge-1.db');
 * migrate(db, EDGE_MIGRATIONS);
 */
export function openDatabase(path: string, opts: OpenDatabaseOptions = {}): Db {
  const db = new Database(path, { readonly: opts.readonly ?? false });
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`);
  if (!opts.readonly) {
    db.pragma('journal_mode = WAL');
    const full = (opts.durability ?? 'power') === 'power' && !opts.groupCommit;
    db.pragma(`synchronous = ${full ? 'FULL' : 'NORMAL'}`);
    db.pragma('foreign_keys = ON');
    if (opts.maxBytes !== undefined) limitDatabaseSize(db, opts.maxBytes);
  }
  return db;
}

/**
 * Caps the database at about `maxBytes` (`PRAGMA max_page_count`, per connection): a write
 * that would grow it further fails with SQLITE_FULL and its transaction rolls back, as on a
 * full disk, so a node degrades with a clear error before the disk it shares fills up. The
 * cap cannot go below the current size (SQLite keeps that instead). Returns the effective
 * cap in bytes.
 *
 * @example
 * limitDatabaseSize(db, 512 * 1024 * 1024); // writes past ~512 MiB throw SqliteError code 'SQLITE_FULL'
 */
export function limitDatabaseSize(db: Db, maxBytes: number): number {
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const pages = Math.max(1, Math.floor(maxBytes / pageSize));
  return (db.pragma(`max_page_count = ${pages}`, { simple: true }) as number) * pageSize;
}

/** Whether `err` is SQLite's "database or disk is full" (a capped database counts too). */
export function isStorageFull(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'SQLITE_FULL';
}
