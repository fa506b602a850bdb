import type { Db } from './open-database.js';

/** The response stored for an `Idempotency-Key`, with a hash of the body that produced it. */
export interface IdempotentResponse {
  bodyHash: string;
  status: number;
  /** the JSON body sent back */
  response: string;
  createdAt: number;
}

/**
 * `Idempotency-Key` records of `POST /v1/events`: the same key with the same body replays
 * the stored response, with a different body it is a conflict. Saved in the ingest
 * transaction, so a record exists exactly when its events were committed.
 *
 * @example
 * const keys = new IdempotencyStore(db);
 * keys.save('k1', { bodyHash: 'ab…', status: 202, response: '{"accepted":1,…}', createdAt: now });
 * keys.get('k1')?.status; // 202
 */
export class IdempotencyStore {
  private readonly getStmt;
  private readonly saveStmt;
  private readonly pruneStmt;
  private readonly countStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare('SELECT body_hash, status, response, created_at FROM idempotency_keys WHERE key = ?');
    this.saveStmt = db.prepare(
      'INSERT OR REPLACE INTO idempotency_keys (key, body_hash, status, response, created_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.pruneStmt = db.prepare('DELETE FROM idempotency_keys WHERE created_at < ?');
    this.countStmt = db.prepare('SELECT COUNT(*) FROM idempotency_keys').pluck();
  }

  get(key: string): IdempotentResponse | undefined {
    const r = this.getStmt.get(key) as { body_hash: string; status: number; response: string; created_at: number } | undefined;
    return r && { bodyHash: r.body_hash, status: r.status, response: r.response, createdAt: r.created_at };
  }

  save(key: string, r: IdempotentResponse): void {
    this.saveStmt.run(key, r.bodyHash, r.status, r.response, r.createdAt);
  }

  /** Forgets keys created before `cutoff` (keys are a retry window, not a permanent ledger). */
  pruneBefore(cutoff: number): number {
    return this.pruneStmt.run(cutoff).changes;
  }

  count(): number {
    return this.countStmt.get() as number;
  }
}
