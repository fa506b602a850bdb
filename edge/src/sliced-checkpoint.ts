import type { UserState } from '@edgerec/services/model';
import type { CheckpointHeader, EdgeDatabase, ReplayEntry } from '@edgerec/services/store';

/** A consistent copy of everything a checkpoint persists, taken at one instant between events. */
export interface CheckpointCapture {
  /** generation the rows are written under */
  gen: number;
  /** item rows, ascending; their values are at the same position of `emb`/`bias`/`accum`/`counts` */
  rows: readonly number[];
  emb: Float32Array;
  bias: Float32Array;
  accum: Float32Array;
  counts: Uint32Array;
  dim: number;
  /** the model's whole RowTracker count vector at capture (DirtyRows' next baseline) */
  countsAtCapture: Uint32Array;
  /** rows are every overlay row: older stored rows are dropped at commit */
  compact: boolean;
  header: CheckpointHeader;
  users: Map<string, UserState>;
  usersEpoch: number;
  replay: ReplayEntry[];
  replayEpoch: number;
  replaySeen: number;
}

/** Copies `rows` of the live arrays into compact ones (the part of a capture that scales with rows). */
export function copyRows(
  rows: readonly number[], dim: number, src: { emb: Float32Array; bias: Float32Array; accum: Float32Array; counts: Uint32Array },
): Pick<CheckpointCapture, 'emb' | 'bias' | 'accum' | 'counts'> {
  const n = rows.length;
  const out = { emb: new Float32Array(n * dim), bias: new Float32Array(n), accum: new Float32Array(n), counts: new Uint32Array(n) };
  for (let j = 0; j < n; j++) {
    const r = rows[j];
    out.emb.set(src.emb.subarray(r * dim, (r + 1) * dim), j * dim);
    out.bias[j] = src.bias[r];
    out.accum[j] = src.accum[r];
    out.counts[j] = src.counts[r];
  }
  return out;
}

/**
 * Writes a captured checkpoint a slice at a time, each slice its own short transaction, so
 * that a checkpoint of tens of thousands of rows never holds the event loop for more than a
 * few milliseconds (one transaction of 35k rows took 94–146 ms: every request in that window
 * waited). Rows go first as uncommitted segments; `commit` then writes the users, the replay
 * slots and the generation with its watermark in one small transaction. Until then a crash
 * loses nothing: the previous generation stays the one that counts.
 *
 * @example
 * const w = new SlicedCheckpoint(capture, edb, 2048);
 * while (!w.writeSlice()) await turn();
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
    readonly capture: CheckpointCapture,
    private readonly edb: EdgeDatabase,
    private readonly sliceRows: number,
  ) {
    this.settled = new Promise((r) => (this.resolve = r));
  }

  settle(committed: boolean): void {
    this.resolve(committed);
  }

  get done(): boolean {
    return this.next >= this.capture.rows.length;
  }

  /** Writes the next slice of rows; true once every row is written. */
  writeSlice(): boolean {
    const c = this.capture;
    if (this.done) return true;
    const from = this.next;
    const to = Math.min(c.rows.length, from + this.sliceRows);
    this.edb.transaction(() => this.edb.models.writeSegments(c.gen, c.rows, c, (j) => j, from, to));
    this.next = to;
    return this.done;
  }

  /** Commits the generation with the captured users, replay slots and watermark. */
  commit(now: number): void {
    const c = this.capture;
    if (!this.done) throw new Error('commit before every row was written');
    this.edb.transaction(() => {
      this.edb.models.commitGeneration(c.gen, c.header, c.compact, now);
      for (const [user, s] of c.users) this.edb.users.put(user, s, now);
      this.edb.replay.put(c.replay);
      this.edb.config.set('learner.replaySeen', c.replaySeen);
    });
  }

  /** An erased user's captured state and replay slots must not be written back. */
  forgetUser(user: string): void {
    this.capture.users.delete(user);
    this.capture.replay = this.capture.replay.filter((e) => e.user !== user);
  }
}
