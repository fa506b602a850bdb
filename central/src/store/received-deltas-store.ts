import type { Database } from 'better-sqlite3';

export type DeltaStatus = 'counted' | 'late' | 'rejected' | 'quarantined';

/** A delta central has seen, keyed by the edge-chosen deltaId (the dedupe key). */
export interface ReceivedDelta {
  deltaId: string;
  nodeId: string;
  /** round it was counted in; null when it was refused */
  roundId: number | null;
  baseVersion: number;
  samples: number;
  codec: string;
  /** the encoded delta; null for refused ones (nothing to aggregate) */
  bytes: Uint8Array | null;
  size: number;
  receivedAt: number;
  status: DeltaStatus;
  /** staleness weight the aggregation applies (1 = on time) */
  weight: number;
  reason: string | null;
}

interface Row {
  delta_id: string;
  node_id: string;
  round_id: number | null;
  base_version: number;
  samples: number;
  codec: string;
  bytes: Buffer | null;
  size: number;
  received_at: number;
  status: DeltaStatus;
  weight: number;
  reason: string | null;
}

const toRecord = (r: Row): ReceivedDelta => ({
  deltaId: r.delta_id,
  nodeId: r.node_id,
  roundId: r.round_id,
  baseVersion: r.base_version,
  samples: r.samples,
  codec: r.codec,
  bytes: r.bytes === null ? null : new Uint8Array(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength),
  size: r.size,
  receivedAt: r.received_at,
  status: r.status,
  weight: r.weight,
  reason: r.reason,
});

/** What a round has collected so far. */
export interface RoundIntake {
  deltas: number;
  samples: number;
  nodes: string[];
}

/**
 * The `received_deltas` table. `insert` is the exactly-once point of the protocol: the
 * primary key on delta_id makes a re-sent delta a no-op, also across restarts.
 *
 * @example
 * if (deltas.insert(rec) === 'exists') ack('duplicate');
 */
export class ReceivedDeltasStore {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly forRoundStmt;
  private readonly intakeStmt;
  private readonly nodesStmt;
  private readonly moveStmt;

  constructor(db: Database) {
    this.insertStmt = db.prepare(
      `INSERT INTO received_deltas (delta_id, node_id, round_id, base_version, samples, codec, bytes, size,
         received_at, status, weight, reason)
       VALUES (@deltaId, @nodeId, @roundId, @baseVersion, @samples, @codec, @bytes, @size,
         @receivedAt, @status, @weight, @reason)
       ON CONFLICT (delta_id) DO NOTHING`,
    );
    this.getStmt = db.prepare<[string], Row>('SELECT * FROM received_deltas WHERE delta_id = ?');
    this.forRoundStmt = db.prepare<[number], Row>(
      `SELECT * FROM received_deltas WHERE round_id = ? AND status IN ('counted', 'late') ORDER BY received_at, delta_id`,
    );
    this.intakeStmt = db.prepare<[number], { deltas: number; samples: number | null }>(
      `SELECT COUNT(*) AS deltas, SUM(samples) AS samples FROM received_deltas
       WHERE round_id = ? AND status IN ('counted', 'late')`,
    );
    this.nodesStmt = db.prepare<[number], { node_id: string }>(
      `SELECT DISTINCT node_id FROM received_deltas WHERE round_id = ? AND status IN ('counted', 'late') ORDER BY node_id`,
    );
    this.moveStmt = db.prepare(
      `UPDATE received_deltas SET round_id = ? WHERE round_id = ? AND status IN ('counted', 'late')`,
    );
  }

  /** 'inserted', or 'exists' when the deltaId was already recorded (nothing changes then). */
  insert(d: ReceivedDelta): 'inserted' | 'exists' {
    const bytes = d.bytes === null ? null : Buffer.from(d.bytes.buffer, d.bytes.byteOffset, d.bytes.byteLength);
    return this.insertStmt.run({ ...d, bytes }).changes === 1 ? 'inserted' : 'exists';
  }

  get(deltaId: string): ReceivedDelta | null {
    const row = this.getStmt.get(deltaId);
    return row ? toRecord(row) : null;
  }

  /** The deltas a round aggregates (counted and late), in arrival order. */
  forRound(roundId: number): ReceivedDelta[] {
    return this.forRoundStmt.all(roundId).map(toRecord);
  }

  intake(roundId: number): RoundIntake {
    const s = this.intakeStmt.get(roundId)!;
    return { deltas: s.deltas, samples: s.samples ?? 0, nodes: this.nodesStmt.all(roundId).map((r) => r.node_id) };
  }

  /** Carries a round's deltas over to another (a round closed as insufficient). Returns how many moved. */
  moveToRound(fromRound: number, toRound: number): number {
    return this.moveStmt.run(toRound, fromRound).changes;
  }
}
