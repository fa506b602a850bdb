import type { Database } from 'better-sqlite3';

export type RoundState = 'open' | 'closed' | 'aggregated' | 'promoted' | 'rejected';

/** One federated round as stored; `policy` and `stats` are parsed JSON. */
export interface RoundRecord {
  id: number;
  state: RoundState;
  baseVersion: number;
  policy: unknown;
  openedAt: number;
  deadline: number;
  closedAt: number | null;
  reason: string | null;
  stats: Record<string, unknown> | null;
  candidateVersion: number | null;
}

interface RoundRow {
  id: number;
  state: RoundState;
  base_version: number;
  policy: string;
  opened_at: number;
  deadline: number;
  closed_at: number | null;
  reason: string | null;
  stats: string | null;
  candidate_version: number | null;
}

const toRecord = (r: RoundRow): RoundRecord => ({
  id: r.id,
  state: r.state,
  baseVersion: r.base_version,
  policy: JSON.parse(r.policy),
  openedAt: r.opened_at,
  deadline: r.deadline,
  closedAt: r.closed_at,
  reason: r.reason,
  stats: r.stats === null ? null : JSON.parse(r.stats),
  candidateVersion: r.candidate_version,
});

/**
 * The `rounds` table: a round moves open → closed → aggregated → promoted | rejected
 * (or open → rejected when it is abandoned as insufficient, after which a new round is
 * opened). State changes are
 * guarded by the expected previous state so a replay after a restart cannot move a
 * round backwards.
 *
 * @example
 * const id = rounds.insert({ baseVersion: 1, policy, openedAt: now, deadline: now + 60_000 });
 * rounds.close(id, now + 5_000, 'complete');
 */
export class RoundsStore {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly latestStmt;
  private readonly listStmt;
  private readonly closeStmt;
  private readonly aggregatedStmt;
  private readonly finishStmt;
  private readonly extendStmt;
  private readonly abandonStmt;

  constructor(db: Database) {
    this.insertStmt = db.prepare(
      `INSERT INTO rounds (state, base_version, policy, opened_at, deadline) VALUES ('open', ?, ?, ?, ?)`,
    );
    this.getStmt = db.prepare<[number], RoundRow>('SELECT * FROM rounds WHERE id = ?');
    this.latestStmt = db.prepare<[], RoundRow>('SELECT * FROM rounds ORDER BY id DESC LIMIT 1');
    this.listStmt = db.prepare<[number], RoundRow>('SELECT * FROM rounds ORDER BY id DESC LIMIT ?');
    this.closeStmt = db.prepare(`UPDATE rounds SET state = 'closed', closed_at = ?, reason = ? WHERE id = ? AND state = 'open'`);
    this.aggregatedStmt = db.prepare(
      `UPDATE rounds SET state = 'aggregated', stats = ?, candidate_version = ? WHERE id = ? AND state = 'closed'`,
    );
    this.finishStmt = db.prepare(`UPDATE rounds SET state = ?, reason = ?, stats = ? WHERE id = ? AND state = 'aggregated'`);
    this.extendStmt = db.prepare(`UPDATE rounds SET deadline = ? WHERE id = ? AND state = 'open'`);
    this.abandonStmt = db.prepare(
      `UPDATE rounds SET state = 'rejected', closed_at = ?, reason = ? WHERE id = ? AND state = 'open'`,
    );
  }

  insert(r: { baseVersion: number; policy: unknown; openedAt: number; deadline: number }): number {
    const info = this.insertStmt.run(r.baseVersion, JSON.stringify(r.policy), r.openedAt, r.deadline);
    return Number(info.lastInsertRowid);
  }

  get(id: number): RoundRecord | null {
    const row = this.getStmt.get(id);
    return row ? toRecord(row) : null;
  }

  /** The most recent round, whatever its state. */
  latest(): RoundRecord | null {
    const row = this.latestStmt.get();
    return row ? toRecord(row) : null;
  }

  list(limit = 50): RoundRecord[] {
    return this.listStmt.all(limit).map(toRecord);
  }

  /** open → closed; false when the round was not open. */
  close(id: number, closedAt: number, reason: string): boolean {
    return this.closeStmt.run(closedAt, reason, id).changes === 1;
  }

  /** closed → aggregated with the candidate it produced (null when nothing was aggregated). */
  markAggregated(id: number, stats: Record<string, unknown>, candidateVersion: number | null): boolean {
    return this.aggregatedStmt.run(JSON.stringify(stats), candidateVersion, id).changes === 1;
  }

  /** aggregated → promoted | rejected, with the gate's reason and the final stats. */
  finish(id: number, state: 'promoted' | 'rejected', reason: string, stats: Record<string, unknown>): boolean {
    return this.finishStmt.run(state, reason, JSON.stringify(stats), id).changes === 1;
  }

  /** open → rejected without aggregating (e.g. too few nodes by the deadline). */
  abandon(id: number, closedAt: number, reason: string): boolean {
    return this.abandonStmt.run(closedAt, reason, id).changes === 1;
  }

  setDeadline(id: number, deadline: number): boolean {
    return this.extendStmt.run(deadline, id).changes === 1;
  }
}
