import type { CheckpointHeader, EdgeDatabase, ReplayEntry, RowSource } from '@edgerec/services/store';
import type { UserState } from '@edgerec/services/model';

/**
 * What a checkpoint persists, read from the live learner state. The learner does not learn
 * while a sliced checkpoint is being written, so these stay exactly what they were when the
 * checkpoint began (copying ~15k rows up front took 5–8 ms, the kind of stall this avoids).
 */
export interface CheckpointSource {
  /** generation the rows are written under */
  gen: number;
  /** item rows to write, ascending */
  rows: readonly number[];
  /** the live item arrays (row r's values at index r) */
  items: RowSource;
  /** rows are every overlay row: older stored rows are dropped at commit */
  compact: boolean;
  header: () => CheckpointHeader;
  users: () => Iterable<[string, UserState]>;
  replay: () => ReplayEntry[];
  replaySeen: () => number;
}

/**
 * Writes a checkpoint a slice at a time, each slice its own short transaction, so that a
 * checkpoint of tens of thousands of rows never holds the event loop for more than a couple
 * of milliseconds (one transaction of 35k rows took 94–146 ms: every request in that window
 * waited). Rows go first as uncommitted segments; `commit` then writes the users, the replay
 * slots and the generation with its watermark in one small transaction. Until then a crash
 * loses nothing: the previous generation stays the one that counts.
 *
 * @example
 * const w = new SlicedCheckpoint(source, edb, 512);
 * while (!w.writeSlice(2)) await turn();
 * w.commit(Date.now());
 */
export class SlicedCheckpoint {
  private next = 0;
  /** set when a full checkpoint superseded this one (its rows are written again there) */
  cancelled = false;
  /** resolves true once committed, false when cancelled or failed */
  readonly settled: Promise<boolean>;
  private resolve!: (committed: boolean) => void;

  constructor(
    readonly source: CheckpointSource,
    private readonly edb: EdgeDatabase,
    private readonly sliceRows: number,
  ) {
    this.settled = new Promise((r) => (this.resolve = r));
  }

  get done(): boolean {
    return this.next >= this.source.rows.length;
  }

  settle(committed: boolean): void {
    this.resolve(committed);
  }

  /**
   * Writes pieces of `sliceRows` rows (one segment each) in one transaction while another
   * piece still fits in `budgetMs` (at least one piece); true once every row is written.
   * "Fits" uses the last piece's time: looping until the budget had passed overshot it by a
   * whole piece (2 ms slices measured 2.4–4.2 ms, requests waited behind them).
   */
  writeSlice(budgetMs = 0): boolean {
    const c = this.source;
    if (this.done) return true;
    const started = performance.now();
    this.edb.transaction(() => {
      let now = started;
      let pieceMs = 0;
      do {
        const from = this.next;
        const to = Math.min(c.rows.length, from + this.sliceRows);
        this.edb.models.writeSegments(c.gen, c.rows, c.items, (_j, row) => row, from, to);
        this.next = to;
        const t = performance.now();
        pieceMs = t - now;
        now = t;
      } while (!this.done && now - started + pieceMs < budgetMs);
    });
    return this.done;
  }

  /** Commits the generation with the users, replay slots and watermark; returns the users written. */
  commit(now: number): number {
    const c = this.source;
    if (!this.done) throw new Error('commit before every row was written');
    let users = 0;
    this.edb.transaction(() => {
      this.edb.models.commitGeneration(c.gen, c.header(), c.compact, now);
      for (const [user, s] of c.users()) {
        this.edb.users.put(user, s, now);
        users++;
      }
      this.edb.replay.put(c.replay());
      this.edb.config.set('learner.replaySeen', c.replaySeen());
    });
    return users;
  }
}
