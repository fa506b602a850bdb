import type { Database } from 'better-sqlite3';

/**
 * Read-only queries behind the federated training reports and the admin views. Plain
 * SELECTs over central's tables, so they also run on a file opened `readonly` (the CLI
 * report) where the store modules' write statements are of no use.
 */

export interface RoundRow {
  id: number;
  state: string;
  baseVersion: number;
  candidateVersion: number | null;
  policy: Record<string, unknown>;
  openedAt: number;
  deadline: number;
  closedAt: number | null;
  reason: string | null;
  stats: Record<string, unknown> | null;
}

/** Counted (and late) deltas of one round from one node. */
export interface RoundNodeIntake {
  roundId: number;
  nodeId: string;
  deltas: number;
  late: number;
  samples: number;
  bytes: number;
}

/** A refused delta, attributed to a round by its arrival time. */
export interface RefusedDelta {
  nodeId: string;
  receivedAt: number;
  status: string;
  reason: string | null;
}

export interface VersionRow {
  version: number;
  parent: number | null;
  createdAt: number;
  status: string;
  metrics: Record<string, number>;
  size: number;
  patchSize: number | null;
  roundId: number | null;
  reason: string | null;
}

export interface EvalRow {
  nodeId: string;
  version: number;
  hr10: number;
  ndcg10: number;
  users: number;
  ts: number;
}

/** Everything a report is computed from. */
export interface ReportSource {
  rounds: RoundRow[];
  intake: RoundNodeIntake[];
  refused: RefusedDelta[];
  versions: VersionRow[];
  evals: EvalRow[];
  regions: Record<string, string | null>;
  activeVersion: number | null;
}

const json = <T>(s: string | null): T | null => (s === null ? null : (JSON.parse(s) as T));

/** Rounds oldest first (the newest `limit` of them). */
export function queryRounds(db: Database, limit = 100_000): RoundRow[] {
  const rows = db
    .prepare<[number], { id: number; state: string; base_version: number; candidate_version: number | null; policy: string;
      opened_at: number; deadline: number; closed_at: number | null; reason: string | null; stats: string | null }>(
      'SELECT * FROM (SELECT * FROM rounds ORDER BY id DESC LIMIT ?) ORDER BY id',
    )
    .all(limit);
  return rows.map((r) => ({
    id: r.id, state: r.state, baseVersion: r.base_version, candidateVersion: r.candidate_version,
    policy: json<Record<string, unknown>>(r.policy) ?? {}, openedAt: r.opened_at, deadline: r.deadline,
    closedAt: r.closed_at, reason: r.reason, stats: json<Record<string, unknown>>(r.stats),
  }));
}

/** Per round and node: the deltas that count (status counted or late), from round `fromRound` on. */
export function queryIntake(db: Database, fromRound = 0): RoundNodeIntake[] {
  return db
    .prepare<[number], RoundNodeIntake>(
      `SELECT round_id AS roundId, node_id AS nodeId, COUNT(*) AS deltas, SUM(status = 'late') AS late,
         SUM(samples) AS samples, SUM(size) AS bytes
       FROM received_deltas WHERE round_id >= ? AND status IN ('counted', 'late')
       GROUP BY round_id, node_id ORDER BY round_id, node_id`,
    )
    .all(fromRound);
}

export function queryRefused(db: Database, since = 0): RefusedDelta[] {
  return db
    .prepare<[number], RefusedDelta>(
      `SELECT node_id AS nodeId, received_at AS receivedAt, status, reason FROM received_deltas
       WHERE status IN ('rejected', 'quarantined') AND received_at >= ? ORDER BY received_at`,
    )
    .all(since);
}

export function queryVersions(db: Database): VersionRow[] {
  const rows = db
    .prepare<[], { version: number; parent: number | null; created_at: number; status: string; metrics: string; size: number;
      patch_size: number | null; round_id: number | null; reason: string | null }>(
      `SELECT version, parent, created_at, status, metrics, size, length(patch) AS patch_size, round_id, reason
       FROM model_registry ORDER BY version`,
    )
    .all();
  return rows.map((r) => ({
    version: r.version, parent: r.parent, createdAt: r.created_at, status: r.status, metrics: JSON.parse(r.metrics),
    size: r.size, patchSize: r.patch_size, roundId: r.round_id, reason: r.reason,
  }));
}

export function queryEvals(db: Database): EvalRow[] {
  return db
    .prepare<[], EvalRow>('SELECT node_id AS nodeId, version, hr10, ndcg10, users, ts FROM node_evals ORDER BY version, node_id')
    .all();
}

export function queryRegions(db: Database): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const r of db.prepare<[], { node_id: string; region: string | null }>('SELECT node_id, region FROM nodes').all()) {
    out[r.node_id] = r.region;
  }
  return out;
}

/**
 * Reads what a report needs, at most the newest `limit` rounds.
 *
 * @example
 * const source = readReportSource(central.store.db);
 * const report = buildFederatedReport(source, { generatedAt: Date.now() });
 */
export function readReportSource(db: Database, limit = 100_000): ReportSource {
  const read = db.transaction(() => {
    const rounds = queryRounds(db, limit);
    const first = rounds[0];
    const active = db.prepare<[], { value: string }>(`SELECT value FROM kv WHERE key = 'active_version'`).get();
    return {
      rounds,
      intake: queryIntake(db, first?.id ?? 0),
      refused: queryRefused(db, first?.openedAt ?? 0),
      versions: queryVersions(db),
      evals: queryEvals(db),
      regions: queryRegions(db),
      activeVersion: active ? (JSON.parse(active.value) as number) : null,
    };
  });
  // A read transaction gives one consistent snapshot of all tables (WAL readers never block).
  return read.deferred();
}
