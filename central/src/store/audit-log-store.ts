import type { Database } from 'better-sqlite3';

/** One audited action (admin API calls, security-relevant protocol events). */
export interface AuditEntry {
  id: number;
  ts: number;
  actor: string;
  role: string;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
}

interface Row {
  id: number;
  ts: number;
  actor: string;
  role: string;
  action: string;
  target: string | null;
  details: string;
}

/**
 * The append-only `audit_log` table.
 *
 * @example
 * audit.append({ ts: now, actor: 'ops-token-1', role: 'admin', action: 'node.quarantine', target: 'edge-7', details: {} });
 */
export class AuditLogStore {
  private readonly appendStmt;
  private readonly recentStmt;

  constructor(db: Database) {
    this.appendStmt = db.prepare(
      `INSERT INTO audit_log (ts, actor, role, action, target, details) VALUES (@ts, @actor, @role, @action, @target, @details)`,
    );
    this.recentStmt = db.prepare<[number], Row>('SELECT * FROM audit_log ORDER BY id DESC LIMIT ?');
  }

  append(e: Omit<AuditEntry, 'id'>): number {
    return Number(this.appendStmt.run({ ...e, target: e.target ?? null, details: JSON.stringify(e.details) }).lastInsertRowid);
  }

  /** Newest first. */
  recent(limit = 100): AuditEntry[] {
    return this.recentStmt.all(limit).map((r) => ({ ...r, details: JSON.parse(r.details) }));
  }
}
