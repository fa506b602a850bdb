import type { Db } from './open-database.js';
import { blobOf, float32Of, int32Of } from './typed-array-blobs.js';

/** Private state of one user as persisted: vector, its Adagrad accumulator, recent items (dense indices, oldest first). */
export interface StoredUser {
  vec: Float32Array;
  accum: number;
  recent: number[];
}

/**
 * Private per-user state (never leaves the edge). Written by the learner inside its
 * checkpoint transaction, so it is always consistent with the applied-event watermark.
 *
 * @example
 * const users = new UserStore(db);
 * users.put('u1', { vec: new Float32Array(8), accum: 0.1, recent: [3, 7] }, Date.now());
 * users.get('u1')?.recent; // [3, 7]
 */
export class UserStore {
  private readonly getStmt;
  private readonly putStmt;
  private readonly eraseStmt;
  private readonly countStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare('SELECT vec, accum, recent FROM users WHERE user = ?');
    this.putStmt = db.prepare(`INSERT INTO users (user, vec, accum, recent, updated_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (user) DO UPDATE SET vec = excluded.vec, accum = excluded.accum, recent = excluded.recent,
      updated_at = excluded.updated_at`);
    this.eraseStmt = db.prepare('DELETE FROM users WHERE user = ?');
    this.countStmt = db.prepare('SELECT COUNT(*) FROM users').pluck();
  }

  get(user: string): StoredUser | undefined {
    const row = this.getStmt.get(user) as { vec: Buffer; accum: number; recent: Buffer } | undefined;
    if (!row) return undefined;
    return { vec: float32Of(row.vec), accum: row.accum, recent: Array.from(int32Of(row.recent)) };
  }

  put(user: string, state: StoredUser, now: number): void {
    this.putStmt.run(user, blobOf(state.vec), state.accum, blobOf(Int32Array.from(state.recent)), now);
  }

  /** Removes the user's private state; true when there was some. Idempotent. */
  erase(user: string): boolean {
    return this.eraseStmt.run(user).changes > 0;
  }

  count(): number {
    return this.countStmt.get() as number;
  }
}
