/**
 * Store: the edge node's SQLite persistence, one module per table or aggregate, all over
 * one better-sqlite3 connection opened with WAL (see `open-database.ts` for durability).
 */
export { isStorageFull, limitDatabaseSize, openDatabase, type Db, type Durability, type OpenDatabaseOptions } from './open-database.js';
export { migrate, schemaVersion, EDGE_MIGRATIONS, type Migration } from './migrations.js';
export { blobOf, float32Of, float64Of, int32Of } from './typed-array-blobs.js';
export {
  EventStore, type NewEvent, type StoredEvent, type InsertOutcome, type InsertResult, type AdmitFn,
} from './event-store.js';
export { UserStore, type StoredUser } from './user-store.js';
export {
  ModelStore, weightsBlob, weightsOfBlob,
  type AppliedWatermark, type ModelMeta, type RowOverlay, type ModelCheckpoint, type LoadedModel, type CheckpointHeader,
} from './model-store.js';
export { OutboxStore, type OutboxEntry, type StoredResidual } from './outbox-store.js';
export { NodeConfigStore } from './node-config-store.js';
export { ItemCatalogStore } from './item-catalog-store.js';
export { IdempotencyStore, type IdempotentResponse } from './idempotency-store.js';
export { type RowSource, SEGMENT_ROWS } from './row-segment.js';
export { ReplayStore, type ReplayEntry } from './replay-store.js';
export { SyncReferenceStore, type SyncReference } from './sync-reference-store.js';
export { openEdgeDatabase, type EdgeDatabase, type EdgeDatabaseOptions } from './edge-database.js';
export { WalCheckpointer, type WalCheckpointStats, type WalCheckpointerOptions } from './wal-checkpointer.js';
export { WalSyncer } from './wal-syncer.js';
