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
export function openEdgeDatabase(path: string, opts: OpenDatabaseOptions = {}): EdgeDatabase {
  const db = openDatabase(path, opts);
  try {
    migrate(db, EDGE_MIGRATIONS);
  } catch (e) {
    db.close();
    throw e;
  }
  return {
    db,
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
    close: () => {
      if (db.open) db.close();
    },
  };
}
