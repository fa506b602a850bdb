import type { Database } from 'better-sqlite3';
import { Packr } from 'msgpackr';

// moreTypes keeps typed arrays (optimizer moments) typed across a round trip; the plain
// wire codec does not need them and stays language-neutral.
const packr = new Packr({ useRecords: false, moreTypes: true });

/**
 * The `strategy_state` table: server-optimizer state of stateful strategies (FedAvgM
 * momentum, FedAdam/FedYogi moments), msgpack-encoded, one row per strategy name.
 *
 * @example
 * states.save('fedadam', strategy.exportState(), now);
 * strategy.importState(states.load('fedadam'));
 */
export class StrategyStateStore {
  private readonly saveStmt;
  private readonly loadStmt;
  private readonly deleteStmt;

  constructor(db: Database) {
    this.saveStmt = db.prepare(
      `INSERT INTO strategy_state (name, state, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
    );
    this.loadStmt = db.prepare<[string], { state: Buffer }>('SELECT state FROM strategy_state WHERE name = ?');
    this.deleteStmt = db.prepare('DELETE FROM strategy_state WHERE name = ?');
  }

  /** Stores `state`; a null state (stateless strategy) removes the row. */
  save(name: string, state: unknown, at: number): void {
    if (state === null || state === undefined) {
      this.deleteStmt.run(name);
      return;
    }
    this.saveStmt.run(name, packr.pack(state), at);
  }

  /** The saved state, or null when there is none. */
  load(name: string): unknown {
    const row = this.loadStmt.get(name);
    return row ? packr.unpack(row.state) : null;
  }
}
