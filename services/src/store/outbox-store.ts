import type { Db } from './open-database.js';
import { blobOf, float32Of } from './typed-array-blobs.js';

/** One encoded uplink delta waiting for central's ack. */
export interface OutboxEntry {
  deltaId: string;
  createdAt: number;
  baseVersion: number;
  bytes: Uint8Array;
  /** codec, counts, event window… whatever the sync client needs to re-send it (JSON) */
  meta: Record<string, unknown>;
}

/** What lossy compression still owes central (error feedback), same shape as compression's ResidualState. */
export interface StoredResidual {
  dim: number;
  /** item row → dim + 1 values (embedding coordinates, then the bias) */
  rows: Map<number, Float32Array>;
  adapter: Float32Array | null;
}

/**
 * Deltas not yet acknowledged by central, plus the error-feedback residual. A delta is
 * deleted only after its ack (DESIGN §3), so a crash between send and ack re-sends it and
 * central's dedupe by deltaId keeps the effect exactly-once.
 *
 * @example
 * const outbox = new OutboxStore(db);
 * outbox.add({ deltaId: 'd-1', createdAt: Date.now(), baseVersion: 3, bytes, meta: { codec: 'topk-int8' } });
 * for (const e of outbox.list(10)) publish(e);
 * outbox.ack('d-1');
 */
export class OutboxStore {
  private readonly addStmt;
  private readonly listStmt;
  private readonly ackStmt;
  private readonly statsStmt;
  private readonly clearResidualRows;
  private readonly putResidualRow;
  private readonly residualRowsStmt;
  private readonly putResidualAdapter;
  private readonly residualAdapterStmt;
  private readonly saveResidualTx;

  constructor(db: Db) {
    this.addStmt = db.prepare(
      'INSERT INTO outbox (delta_id, created_at, base_version, bytes, meta) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
    );
    this.listStmt = db.prepare('SELECT * FROM outbox ORDER BY created_at, delta_id LIMIT ?');
    this.ackStmt = db.prepare('DELETE FROM outbox WHERE delta_id = ?');
    this.statsStmt = db.prepare('SELECT COUNT(*) AS entries, COALESCE(SUM(LENGTH(bytes)), 0) AS bytes FROM outbox');
    this.clearResidualRows = db.prepare('DELETE FROM residual_rows');
    this.putResidualRow = db.prepare('INSERT INTO residual_rows (row, vals) VALUES (?, ?)');
    this.residualRowsStmt = db.prepare('SELECT row, vals FROM residual_rows ORDER BY row');
    this.putResidualAdapter = db.prepare('INSERT OR REPLACE INTO residual_adapter (id, dim, vals) VALUES (1, ?, ?)');
    this.residualAdapterStmt = db.prepare('SELECT dim, vals FROM residual_adapter WHERE id = 1');
    this.saveResidualTx = db.transaction((r: StoredResidual) => {
      this.clearResidualRows.run();
      for (const [row, vals] of r.rows) this.putResidualRow.run(row, blobOf(vals));
      this.putResidualAdapter.run(r.dim, r.adapter ? blobOf(r.adapter) : null);
    });
  }

  /** Queues a delta; re-adding the same deltaId is a no-op (returns false). */
  add(e: OutboxEntry): boolean {
    return this.addStmt.run(e.deltaId, e.createdAt, e.baseVersion, Buffer.from(e.bytes), JSON.stringify(e.meta)).changes > 0;
  }

  /** Oldest first. */
  list(limit = 100): OutboxEntry[] {
    const rows = this.listStmt.all(limit) as { delta_id: string; created_at: number; base_version: number; bytes: Buffer; meta: string }[];
    return rows.map((r) => ({
      deltaId: r.delta_id, createdAt: r.created_at, baseVersion: r.base_version,
      bytes: new Uint8Array(r.bytes), meta: JSON.parse(r.meta) as Record<string, unknown>,
    }));
  }

  /** Deletes an acknowledged delta; true when it was queued. Idempotent. */
  ack(deltaId: string): boolean {
    return this.ackStmt.run(deltaId).changes > 0;
  }

  stats(): { entries: number; bytes: number } {
    return this.statsStmt.get() as { entries: number; bytes: number };
  }

  /** Replaces the stored residual (call in the same transaction that queues the delta it belongs to). */
  saveResidual(r: StoredResidual): void {
    this.saveResidualTx(r);
  }

  /** The stored residual, or an empty one of `dim`. */
  loadResidual(dim: number): StoredResidual {
    const head = this.residualAdapterStmt.get() as { dim: number; vals: Buffer | null } | undefined;
    if (!head || head.dim !== dim) return { dim, rows: new Map(), adapter: null };
    const rows = new Map<number, Float32Array>();
    for (const r of this.residualRowsStmt.all() as { row: number; vals: Buffer }[]) rows.set(r.row, float32Of(r.vals));
    return { dim, rows, adapter: head.vals ? float32Of(head.vals) : null };
  }
}
