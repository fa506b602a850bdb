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
 * The edge acknowledges events (HTTP 202) only after COMMIT, and DESIGN §5 promises that an
 * acknowledged event survives; we default to `'power'` because the ingest path batches
 * (one fsync per request, not per event) and the learner checkpoints rarely, so the fsync
 * is cheap where it matters. `'process'` is there for benchmarks and throw-away nodes.
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
  }
  return db;
}
