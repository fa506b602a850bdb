import { EventStore } from './event-store.js';
import { IdempotencyStore } from './idempotency-store.js';
import { ItemCatalogStore } from './item-catalog-store.js';
import { EDGE_MIGRATIONS, migrate } from './migrations.js';
import { ModelStore } from './model-store.js';
import { NodeConfigStore } from './node-config-store.js';
import { type Db, type OpenDatabaseOptions, openDatabase } from './open-database.js';
import { OutboxStore } from './outbox-store.js';
import { ReplayStore } from './replay-store.js';
import { SyncReferenceStore } from './sync-reference-store.js';
import { UserStore } from './user-store.js';
import { WalCheckpointer } from './wal-checkpointer.js';
import { WalSyncer } from './wal-syncer.js';

/** Every store of an edge node over one connection. */
export interface EdgeDatabase {
  db: Db;
  events: EventStore;
  users: UserStore;
  models: ModelStore;
  outbox: OutboxStore;
  config: NodeConfigStore;
  catalog: ItemCatalogStore;
  idempotency: IdempotencyStore;
  replay: ReplayStore;
  /** sync reference of extracted rows (uplink deltas are local − reference) */
  syncRef: SyncReferenceStore;
  /** Runs `fn` in one transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T;
  /**
   * Resolves once every transaction committed so far survives what the durability setting
   * promises: with `'power'` an fdatasync of the WAL shared by concurrent callers (group
   * commit); with `'process'` (or in memory) at once, since COMMIT already did what it can.
   * Await it before acknowledging anything to a client or a peer.
   */
  durable(): Promise<void>;
  /** the background WAL checkpointer, when `checkpointWorker` was asked for */
  readonly checkpointer: WalCheckpointer | null;
  /** fdatasync calls made by `durable()` so far */
  readonly syncs: number;
  close(): void;
}

/**
 * Opens an edge node's SQLite file, migrates it and builds every store on the one
 * connection (better-sqlite3 is synchronous, so one connection per process is the fast path).
 *
 * @example
 * const edgeDb = openEdgeDatabase('edge-1.db');
 * edgeDb.transaction(() => { edgeDb.events.deleteByUser('u1'); edgeDb.users.erase('u1'); });
 */
export interface EdgeDatabaseOptions extends OpenDatabaseOptions {
  /** WAL checkpoints in a worker thread instead of inside commits (what a serving edge wants) */
  checkpointWorker?: boolean;
}

export function openEdgeDatabase(path: string, opts: EdgeDatabaseOptions = {}): EdgeDatabase {
  const power = (opts.durability ?? 'power') === 'power';
  const db = openDatabase(path, { groupCommit: true, ...opts });
  const syncer = power && !db.memory && opts.groupCommit !== false ? new WalSyncer(`${db.name}-wal`) : null;
  try {
    migrate(db, EDGE_MIGRATIONS);
  } catch (e) {
    db.close();
    throw e;
  }
  const checkpointer = opts.checkpointWorker ? WalCheckpointer.start(db) : null;
  return {
    db,
    checkpointer,
    events: new EventStore(db),
    users: new UserStore(db),
    models: new ModelStore(db),
    outbox: new OutboxStore(db),
    config: new NodeConfigStore(db),
    catalog: new ItemCatalogStore(db),
    idempotency: new IdempotencyStore(db),
    replay: new ReplayStore(db),
    syncRef: new SyncReferenceStore(db),
    transaction: <T>(fn: () => T): T => db.transaction(fn)(),
    durable: () => (syncer && db.open ? syncer.sync() : Promise.resolve()),
    get syncs() {
      return syncer?.syncs ?? 0;
    },
    close: () => {
      void syncer?.close();
      void checkpointer?.stop();
      if (db.open) db.close();
    },
  };
}
