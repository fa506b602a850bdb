import type { Database } from 'better-sqlite3';

/** What central knows about an edge node. */
export interface NodeRecord {
  nodeId: string;
  region: string | null;
  /** last NodeStatusMsg as received (parsed JSON) */
  status: Record<string, unknown> | null;
  lastSeen: number | null;
  online: boolean;
  quarantined: boolean;
  paused: boolean;
  lastDeltaAt: number | null;
}

interface Row {
  node_id: string;
  region: string | null;
  status: string | null;
  last_seen: number | null;
  online: number;
  quarantined: number;
  paused: number;
  last_delta_at: number | null;
}

const toRecord = (r: Row): NodeRecord => ({
  nodeId: r.node_id,
  region: r.region,
  status: r.status === null ? null : JSON.parse(r.status),
  lastSeen: r.last_seen,
  online: r.online === 1,
  quarantined: r.quarantined === 1,
  paused: r.paused === 1,
  lastDeltaAt: r.last_delta_at,
});

/**
 * The `nodes` table: the node registry fed by retained status messages (and their LWT),
 * plus the admin flags `quarantined` (deltas refused) and `paused` (not waited for).
 *
 * @example
 * nodes.recordStatus({ nodeId: 'edge-1', region: '9', online: true, status, seenAt: now });
 * nodes.expected(); // online, not paused, not quarantined
 */
export class NodesStore {
  private readonly statusStmt;
  private readonly getStmt;
  private readonly listStmt;
  private readonly expectedStmt;
  private readonly quarantineStmt;
  private readonly pauseStmt;
  private readonly deltaStmt;
  private readonly onlineStmt;

  constructor(db: Database) {
    this.statusStmt = db.prepare(
      `INSERT INTO nodes (node_id, region, status, last_seen, online) VALUES (@nodeId, @region, @status, @seenAt, @online)
       ON CONFLICT (node_id) DO UPDATE SET region = excluded.region, status = excluded.status,
         last_seen = excluded.last_seen, online = excluded.online`,
    );
    this.getStmt = db.prepare<[string], Row>('SELECT * FROM nodes WHERE node_id = ?');
    this.listStmt = db.prepare<[], Row>('SELECT * FROM nodes ORDER BY node_id');
    this.expectedStmt = db.prepare<[], { node_id: string }>(
      'SELECT node_id FROM nodes WHERE online = 1 AND paused = 0 AND quarantined = 0 ORDER BY node_id',
    );
    this.quarantineStmt = db.prepare(
      `INSERT INTO nodes (node_id, quarantined) VALUES (?, ?) ON CONFLICT (node_id) DO UPDATE SET quarantined = excluded.quarantined`,
    );
    this.pauseStmt = db.prepare(
      `INSERT INTO nodes (node_id, paused) VALUES (?, ?) ON CONFLICT (node_id) DO UPDATE SET paused = excluded.paused`,
    );
    this.deltaStmt = db.prepare(
      `INSERT INTO nodes (node_id, last_delta_at) VALUES (?, ?) ON CONFLICT (node_id) DO UPDATE SET last_delta_at = excluded.last_delta_at`,
    );
    this.onlineStmt = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM nodes WHERE online = 1');
  }

  recordStatus(s: { nodeId: string; region: string; online: boolean; status: unknown; seenAt: number }): void {
    this.statusStmt.run({ ...s, status: JSON.stringify(s.status), online: s.online ? 1 : 0 });
  }

  get(nodeId: string): NodeRecord | null {
    const row = this.getStmt.get(nodeId);
    return row ? toRecord(row) : null;
  }

  list(): NodeRecord[] {
    return this.listStmt.all().map(toRecord);
  }

  /** Nodes a synchronous round waits for: online, not paused, not quarantined. */
  expected(): string[] {
    return this.expectedStmt.all().map((r) => r.node_id);
  }

  isQuarantined(nodeId: string): boolean {
    return this.getStmt.get(nodeId)?.quarantined === 1;
  }

  setQuarantined(nodeId: string, quarantined: boolean): void {
    this.quarantineStmt.run(nodeId, quarantined ? 1 : 0);
  }

  setPaused(nodeId: string, paused: boolean): void {
    this.pauseStmt.run(nodeId, paused ? 1 : 0);
  }

  recordDelta(nodeId: string, at: number): void {
    this.deltaStmt.run(nodeId, at);
  }

  onlineCount(): number {
    return this.onlineStmt.get()?.n ?? 0;
  }
}
