import type { Database } from 'better-sqlite3';

/** Federated metrics of one model version, merged over the nodes that reported. */
export interface FederatedMetrics {
  version: number;
  hr10: number;
  ndcg10: number;
  /** held-out users behind the numbers (the merge weights) */
  users: number;
  nodes: number;
}

/**
 * The `node_evals` table: the latest NodeEvalMsg per (node, model version). Merging
 * weights each node by its user count, which is exactly HR/NDCG over the union of the
 * nodes' test users (both are means over users).
 *
 * @example
 * evals.record({ nodeId: 'edge-1', version: 4, hr10: 0.6, ndcg10: 0.35, users: 310, ts });
 * evals.merged(4); // { version: 4, hr10, ndcg10, users, nodes }
 */
export class NodeEvalsStore {
  private readonly upsertStmt;
  private readonly mergedStmt;

  constructor(db: Database) {
    this.upsertStmt = db.prepare(
      `INSERT INTO node_evals (node_id, version, hr10, ndcg10, users, ts) VALUES (@nodeId, @version, @hr10, @ndcg10, @users, @ts)
       ON CONFLICT (node_id, version) DO UPDATE SET hr10 = excluded.hr10, ndcg10 = excluded.ndcg10,
         users = excluded.users, ts = excluded.ts WHERE excluded.ts >= node_evals.ts`,
    );
    this.mergedStmt = db.prepare<[number], { users: number | null; hits: number | null; ndcg: number | null; nodes: number }>(
      `SELECT SUM(users) AS users, SUM(hr10 * users) AS hits, SUM(ndcg10 * users) AS ndcg, COUNT(*) AS nodes
       FROM node_evals WHERE version = ? AND users > 0`,
    );
  }

  /** Keeps the newest report per (node, version); an older re-delivery does not overwrite it. */
  record(e: { nodeId: string; version: number; hr10: number; ndcg10: number; users: number; ts: number }): void {
    this.upsertStmt.run(e);
  }

  /** Users-weighted merge, or null when no node reported on this version. */
  merged(version: number): FederatedMetrics | null {
    const r = this.mergedStmt.get(version);
    if (!r || !r.users) return null;
    return { version, hr10: (r.hits ?? 0) / r.users, ndcg10: (r.ndcg ?? 0) / r.users, users: r.users, nodes: r.nodes };
  }
}
