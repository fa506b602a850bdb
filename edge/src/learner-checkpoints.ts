import type { AppliedWatermark, EdgeDatabase, ModelCheckpoint } from '@edgerec/services/store';
import type { Logger } from 'pino';
import type { DirtyRows } from './dirty-rows.js';
import type { ModelHolder } from './model-holder.js';
import { optimizerStateOf } from './model-state-access.js';
import type { LearnerObserver } from './online-learner.js';
import type { ReplayReservoir } from './replay-reservoir.js';
import { SlicedCheckpoint } from './sliced-checkpoint.js';
import type { UserStateCache } from './user-state-cache.js';

export interface LearnerCheckpointsDeps {
  edb: EdgeDatabase;
  holder: ModelHolder;
  dirtyRows: DirtyRows;
  cache: UserStateCache;
  reservoir: ReplayReservoir;
  clock: () => number;
  /** longest stretch of slice writing per event-loop turn, ms */
  sliceMs: number;
  /** item rows per stored segment */
  sliceRows: number;
  /** the learner's watermark now */
  watermark: () => AppliedWatermark;
  /** seq of the last committed checkpoint */
  checkpointSeq: () => number;
  /** a checkpoint committed everything up to `appliedSeq` */
  onCommitted: (appliedSeq: number) => void;
  /** learning may go on: a sliced checkpoint committed, failed (`failed`) or was superseded */
  onResume: (failed: boolean) => void;
  observer?: LearnerObserver;
  logger?: Logger;
}

/**
 * How the online learner persists what it learned (decisions §12): `full` in one transaction
 * (a sync, a model install, a stop), `sliced` a slice per event-loop turn while the learner
 * pauses (the periodic checkpoint). Either way model rows, users, replay slots and the
 * watermark become durable together; a full checkpoint supersedes a sliced one in flight.
 *
 * @example
 * const cps = new LearnerCheckpoints({ edb, holder, dirtyRows, cache, reservoir, ... });
 * await cps.sliced(); // periodic
 * cps.full();         // before a delta is cut
 */
export class LearnerCheckpoints {
  private inflight: SlicedCheckpoint | null = null;

  constructor(private readonly d: LearnerCheckpointsDeps) {}

  /** true while a sliced checkpoint is being written (the learner must not learn) */
  get writing(): boolean {
    return this.inflight !== null;
  }

  /** Persists everything learned so far in one transaction. */
  full(): void {
    const { edb, holder, dirtyRows, cache, reservoir } = this.d;
    if (!edb.db.open) return;
    this.cancel();
    const started = performance.now();
    const { model } = holder;
    const counts = model.tracker.counts;
    const install = holder.pendingInstall;
    const { rows, compact } = install ? { rows: dirtyRows.collect(counts, true), compact: false } : this.rowsToWrite(counts);
    const users = [...cache.dirtyEntries()];
    const w = this.d.watermark();
    if (!install && rows.length === 0 && users.length === 0 && this.d.checkpointSeq() === w.appliedSeq) return;
    const opt = optimizerStateOf(model);
    const cp: ModelCheckpoint = {
      weights: model.weights, dirtyRows: rows, itemAccum: opt.itemAccum, counts, adapterAccum: opt.adapterAccum,
      adapterCount: model.tracker.adapterCount, samples: model.tracker.samples, ...w, compact,
    };
    const now = this.d.clock();
    edb.transaction(() => {
      if (install) {
        const stored = edb.catalog.count();
        const ids: string[] = [];
        for (let i = stored; i < holder.catalog.size; i++) ids.push(holder.catalog.idOf(i));
        edb.catalog.append(ids);
        const meta = {
          version: holder.version, parent: holder.parent, numItems: holder.numItems, dim: model.config.dim, config: model.config,
          lastSyncAt: holder.lastSyncAt, adapterCount: cp.adapterCount, samples: cp.samples, ...w,
        };
        edb.models.install(meta, holder.base, cp, now);
      } else {
        edb.models.checkpoint(cp, now);
      }
      for (const [user, s] of users) edb.users.put(user, s, now);
      edb.replay.put(reservoir.dirtyEntries());
      edb.config.set('learner.replaySeen', reservoir.seen);
    });
    this.committed(rows, counts, w.appliedSeq);
    this.d.observer?.checkpointed?.({ ms: performance.now() - started, rows: rows.length, users: users.length });
  }

  /**
   * Starts writing the state as it is now in slices between event-loop turns (or returns the
   * one in flight). The learner pauses until it settles, so nothing needs copying: ingest goes
   * on, and the learner catches up afterwards. Resolves true once committed (or when there
   * was nothing to write), false when superseded or failed.
   */
  sliced(): Promise<boolean> {
    if (this.inflight) return this.inflight.settled;
    const { edb, holder, cache, reservoir } = this.d;
    if (!edb.db.open) return Promise.resolve(false);
    const started = performance.now();
    const { model } = holder;
    const counts = model.tracker.counts;
    const { rows, compact } = this.rowsToWrite(counts);
    const w0 = this.d.watermark();
    if (rows.length === 0 && cache.dirtyCount === 0 && this.d.checkpointSeq() === w0.appliedSeq) return Promise.resolve(true);
    const opt = optimizerStateOf(model);
    const w = model.weights;
    const writer = new SlicedCheckpoint({
      gen: edb.models.nextGeneration(), rows, compact,
      items: { dim: model.config.dim, emb: w.itemEmb, bias: w.itemBias, accum: opt.itemAccum, counts },
      header: () => ({
        adapter: w.adapter, adapterAccum: opt.adapterAccum, adapterCount: model.tracker.adapterCount,
        samples: model.tracker.samples, ...this.d.watermark(),
      }),
      users: () => cache.dirtyEntries(),
      replay: () => reservoir.dirtyEntries(),
      replaySeen: () => reservoir.seen,
    }, edb, this.d.sliceRows);
    this.inflight = writer;
    let busyMs = performance.now() - started;
    const step = (): void => {
      if (writer.cancelled || !edb.db.open) return writer.settle(false);
      const t = performance.now();
      let users = 0;
      try {
        if (!writer.writeSlice(this.d.sliceMs)) {
          busyMs += performance.now() - t;
          setImmediate(step);
          return;
        }
        users = writer.commit(this.d.clock());
      } catch (e) {
        this.d.logger?.error({ err: e }, 'checkpoint failed; the next one writes it again');
        this.inflight = null;
        writer.settle(false);
        this.d.onResume(true);
        return;
      }
      busyMs += performance.now() - t;
      this.inflight = null;
      this.committed(rows, counts, this.d.watermark().appliedSeq);
      this.d.observer?.checkpointed?.({ ms: busyMs, rows: rows.length, users });
      writer.settle(true);
      this.d.onResume(false);
    };
    setImmediate(step);
    return writer.settled;
  }

  /** Abandons a sliced checkpoint in flight (a full one writes everything it would have). */
  cancel(): void {
    if (!this.inflight) return;
    this.inflight.cancelled = true;
    this.inflight.settle(false);
    this.inflight = null;
    this.d.onResume(false);
  }

  /**
   * The rows a checkpoint writes: the dirty ones, or — once the stored entries (superseded
   * ones included) pass twice the overlay — every overlay row, replacing all older ones.
   */
  private rowsToWrite(counts: Uint32Array): { rows: number[]; compact: boolean } {
    const rows = this.d.dirtyRows.collect(counts, false);
    const stored = this.d.edb.models.storedRows();
    if (stored <= rows.length) return { rows, compact: false };
    const overlay = this.d.dirtyRows.overlayRows(counts);
    return stored + rows.length > 2 * Math.max(overlay.length, 1024) ? { rows: overlay, compact: true } : { rows, compact: false };
  }

  private committed(rows: readonly number[], counts: Uint32Array, appliedSeq: number): void {
    this.d.holder.pendingInstall = false;
    this.d.dirtyRows.committed(counts, rows);
    this.d.cache.clearDirty();
    this.d.reservoir.clearDirty();
    this.d.onCommitted(appliedSeq);
  }
}
