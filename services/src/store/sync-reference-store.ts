import type { Db } from './open-database.js';
import { blobOf, float32Of } from './typed-array-blobs.js';

/** Local values of the shared parameters at the last delta extraction (rows: dim + 1 values, embedding then bias). */
export interface SyncReference {
  rows: Map<number, Float32Array>;
  adapter: Float32Array | null;
}

/**
 * The sync reference of an edge: for every item row extracted into an uplink delta since the
 * current global base was installed, its local value at that extraction (and the adapter's).
 * The next delta is `local − reference` (reference = base for rows not listed), so a row
 * trained across two extractions is never sent twice. Cleared when a new base is installed.
 * Written in the same transaction as the outbox entry of the delta it belongs to.
 *
 * @example
 * const ref = new SyncReferenceStore(db);
 * ref.put([[7, rowValues]], null);   // inside the delta's transaction
 * ref.load().rows.get(7);            // after a restart
 * ref.clear();                       // a new global model was installed
 */
export class SyncReferenceStore {
  private readonly putRow;
  private readonly putAdapter;
  private readonly rowsStmt;
  private readonly adapterStmt;
  private readonly clearRows;
  private readonly clearAdapter;

  constructor(db: Db) {
    this.putRow = db.prepare('INSERT OR REPLACE INTO sync_ref_rows (row, vals) VALUES (?, ?)');
    this.putAdapter = db.prepare('INSERT OR REPLACE INTO sync_ref_adapter (id, vals) VALUES (1, ?)');
    this.rowsStmt = db.prepare('SELECT row, vals FROM sync_ref_rows ORDER BY row');
    this.adapterStmt = db.prepare('SELECT vals FROM sync_ref_adapter WHERE id = 1').pluck();
    this.clearRows = db.prepare('DELETE FROM sync_ref_rows');
    this.clearAdapter = db.prepare('DELETE FROM sync_ref_adapter');
  }

  /** Upserts rows (and the adapter when given). Call inside the caller's transaction. */
  put(rows: Iterable<readonly [number, Float32Array]>, adapter: Float32Array | null): void {
    for (const [row, vals] of rows) this.putRow.run(row, blobOf(vals));
    if (adapter) this.putAdapter.run(blobOf(adapter));
  }

  load(): SyncReference {
    const rows = new Map<number, Float32Array>();
    for (const r of this.rowsStmt.all() as { row: number; vals: Buffer }[]) rows.set(r.row, float32Of(r.vals));
    const adapter = this.adapterStmt.get() as Buffer | undefined;
    return { rows, adapter: adapter ? float32Of(adapter) : null };
  }

  clear(): void {
    this.clearRows.run();
    this.clearAdapter.run();
  }
}
