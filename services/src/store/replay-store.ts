import type { Db } from './open-database.js';

/** One remembered past event of the learner's replay reservoir. */
export interface ReplayEntry {
  slot: number;
  user: string;
  itemIdx: number;
  weight: number;
}

/**
 * The persisted replay reservoir (bounded by the learner's capacity). Slots are written in
 * the learner's checkpoint transaction; erasing a user deletes that user's slots at once.
 *
 * @example
 * const replay = new ReplayStore(db);
 * replay.put([{ slot: 0, user: 'u1', itemIdx: 3, weight: 1 }]);
 * replay.deleteByUser('u1');
 */
export class ReplayStore {
  private readonly putStmt;
  private readonly allStmt;
  private readonly deleteUserStmt;
  private readonly putTx;

  constructor(db: Db) {
    this.putStmt = db.prepare('INSERT OR REPLACE INTO replay_buffer (slot, user, item_idx, weight) VALUES (?, ?, ?, ?)');
    this.allStmt = db.prepare('SELECT slot, user, item_idx AS itemIdx, weight FROM replay_buffer ORDER BY slot');
    this.deleteUserStmt = db.prepare('DELETE FROM replay_buffer WHERE user = ?');
    this.putTx = db.transaction((entries: readonly ReplayEntry[]) => {
      for (const e of entries) this.putStmt.run(e.slot, e.user, e.itemIdx, e.weight);
    });
  }

  put(entries: readonly ReplayEntry[]): void {
    this.putTx(entries);
  }

  all(): ReplayEntry[] {
    return this.allStmt.all() as ReplayEntry[];
  }

  deleteByUser(user: string): number {
    return this.deleteUserStmt.run(user).changes;
  }
}
