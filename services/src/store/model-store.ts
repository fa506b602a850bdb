import type { ModelWeights } from '../model/weights.js';
import type { Db } from './open-database.js';
import { decodeRowSegment, encodeRowSegment, mergeOverlays, type RowOverlay, type RowSource, SEGMENT_ROWS } from './row-segment.js';
import { blobOf, float32Of, float64Of } from './typed-array-blobs.js';

export type { RowOverlay };

/** Learner progress, committed together with the model state it produced. */
export interface AppliedWatermark {
  /** every event with seq ≤ appliedSeq has been learned */
  appliedSeq: number;
  /** events learned so far (replayed samples not included) */
  appliedCount: number;
  /**
   * Σ seq of learned events: with appliedCount, an exactly-once checksum against the log
   * (`SELECT COUNT(*), SUM(seq) FROM events`). Exact while below 2^53, i.e. for the first
   * ~10^8 events; past that it is only indicative.
   */
  appliedSeqSum: number;
}

/** Identity and header fields of the persisted model. */
export interface ModelMeta extends AppliedWatermark {
  version: number;
  parent: number | null;
  numItems: number;
  dim: number;
  /** the ModelConfig the weights were trained with (JSON) */
  config: unknown;
  lastSyncAt: number | null;
  adapterCount: number;
  samples: number;
}

/** The small dense part of a checkpoint, committed with its generation of rows. */
export interface CheckpointHeader extends AppliedWatermark {
  adapter: Float32Array;
  adapterAccum: Float64Array;
  adapterCount: number;
  samples: number;
}

/** What a checkpoint writes: the listed rows of `weights` plus the dense small state. */
export interface ModelCheckpoint extends AppliedWatermark {
  weights: ModelWeights;
  /** rows whose values, accumulator or count changed since the last checkpoint */
  dirtyRows: ArrayLike<number>;
  itemAccum: Float32Array;
  counts: Uint32Array;
  adapterAccum: Float64Array;
  adapterCount: number;
  samples: number;
  /**
   * `dirtyRows` is every row that differs from base: older stored rows are dropped
   * (compaction, see `storedRows`)
   */
  compact?: boolean;
}

export interface LoadedModel {
  meta: ModelMeta;
  base: ModelWeights;
  adapter: Float32Array;
  adapterAccum: Float64Array;
  overlay: RowOverlay;
}

/** `itemEmb | itemBias | adapter` as one Float32 blob. */
export function weightsBlob(w: ModelWeights): Buffer {
  const all = new Float32Array(w.itemEmb.length + w.itemBias.length + w.adapter.length);
  all.set(w.itemEmb, 0);
  all.set(w.itemBias, w.itemEmb.length);
  all.set(w.adapter, w.itemEmb.length + w.itemBias.length);
  return blobOf(all);
}

export function weightsOfBlob(blob: Uint8Array, numItems: number, dim: number): ModelWeights {
  const all = float32Of(blob);
  const e = numItems * dim;
  if (all.length <= e + numItems) throw new Error('model blob too short for its header');
  return {
    numItems, dim,
    itemEmb: all.slice(0, e),
    itemBias: all.slice(e, e + numItems),
    adapter: all.slice(e + numItems),
  };
}

interface StateRow {
  version: number; parent: number | null; num_items: number; dim: number; config: string; base: Buffer | null;
  adapter: Buffer; adapter_accum: Buffer; adapter_count: number; samples: number; applied_seq: number;
  applied_count: number; applied_seq_sum: number; last_sync_at: number | null; committed_gen: number;
}

const header = (cp: ModelCheckpoint): CheckpointHeader => ({
  adapter: cp.weights.adapter, adapterAccum: cp.adapterAccum, adapterCount: cp.adapterCount, samples: cp.samples,
  appliedSeq: cp.appliedSeq, appliedCount: cp.appliedCount, appliedSeqSum: cp.appliedSeqSum,
});

/**
 * The edge's local copy of the shared model: the global base weights (one blob, rewritten
 * only when a new global version is installed) plus the item rows the learner changed since,
 * stored as packed segments (row-segment.ts) tagged with a checkpoint generation. A
 * generation counts once `committed_gen` reaches it, in the same transaction as the adapter
 * and the applied-event watermark, so after a crash the learner resumes right after the last
 * event whose effect is on disk: exactly-once effect. Segments of a generation may be written
 * ahead in separate short transactions (`writeSegments` … `commitGeneration`); a crash in
 * between leaves them uncommitted, ignored and later discarded.
 *
 * @example
 * const models = new ModelStore(db);
 * models.install({ version: 0, parent: null, ... }, weights, overlay); // at first start
 * models.checkpoint(state, Date.now());                                  // all at once
 * const gen = models.nextGeneration();                                  // or in slices:
 * models.writeSegments(gen, rows, snapshot, (j) => j, 0, 8192);          //   …one per turn
 * models.commitGeneration(gen, header, false, Date.now());               //   then commit
 * const { meta, base, overlay } = models.load()!;                        // on restart
 */
export class ModelStore {
  private readonly getState;
  private readonly putState;
  private readonly putBase;
  private readonly clearLegacyRows;
  private readonly allLegacyRows;
  private readonly insertSegment;
  private readonly segmentsUpTo;
  private readonly clearSegments;
  private readonly clearSegmentsBefore;
  private readonly clearUncommitted;
  private readonly storedRowsStmt;
  private readonly committedGen;
  private readonly updateCheckpoint;
  private readonly setSync;
  private readonly installTx;
  private readonly checkpointTx;
  /** reused encoding buffer (bound blobs are copied by SQLite) */
  private scratch = new ArrayBuffer(0);

  constructor(db: Db) {
    this.getState = db.prepare('SELECT s.*, b.weights AS base FROM model_state s LEFT JOIN model_base b ON b.id = 1 WHERE s.id = 1');
    this.putState = db.prepare(`INSERT OR REPLACE INTO model_state (id, version, parent, num_items, dim, config,
      adapter, adapter_accum, adapter_count, samples, applied_seq, applied_count, applied_seq_sum, last_sync_at, updated_at,
      committed_gen)
      VALUES (1, @version, @parent, @numItems, @dim, @config, @adapter, @adapterAccum, @adapterCount, @samples,
      @appliedSeq, @appliedCount, @appliedSeqSum, @lastSyncAt, @now, 1)`);
    this.putBase = db.prepare('INSERT OR REPLACE INTO model_base (id, weights) VALUES (1, ?)');
    this.clearLegacyRows = db.prepare('DELETE FROM model_rows');
    this.allLegacyRows = db.prepare('SELECT row, emb, bias, accum, count FROM model_rows ORDER BY row');
    this.insertSegment = db.prepare('INSERT INTO model_segments (gen, rows, data) VALUES (?, ?, ?)');
    this.segmentsUpTo = db.prepare('SELECT data FROM model_segments WHERE gen <= ? ORDER BY gen, id').pluck();
    this.clearSegments = db.prepare('DELETE FROM model_segments');
    this.clearSegmentsBefore = db.prepare('DELETE FROM model_segments WHERE gen < ?');
    this.clearUncommitted = db.prepare('DELETE FROM model_segments WHERE gen > (SELECT committed_gen FROM model_state WHERE id = 1)');
    this.storedRowsStmt = db.prepare(`SELECT (SELECT COUNT(*) FROM model_rows) + COALESCE((SELECT SUM(rows) FROM model_segments
      WHERE gen <= (SELECT committed_gen FROM model_state WHERE id = 1)), 0)`).pluck();
    this.committedGen = db.prepare('SELECT committed_gen FROM model_state WHERE id = 1').pluck();
    this.updateCheckpoint = db.prepare(`UPDATE model_state SET adapter = @adapter, adapter_accum = @adapterAccum,
      adapter_count = @adapterCount, samples = @samples, applied_seq = @appliedSeq, applied_count = @appliedCount,
      applied_seq_sum = @appliedSeqSum, updated_at = @now, committed_gen = @gen WHERE id = 1`);
    this.setSync = db.prepare('UPDATE model_state SET last_sync_at = ? WHERE id = 1');
    this.installTx = db.transaction((meta: ModelMeta, base: ModelWeights, cp: ModelCheckpoint, now: number) => {
      this.putBase.run(weightsBlob(base));
      this.putState.run({
        ...meta, config: JSON.stringify(meta.config), adapter: blobOf(cp.weights.adapter),
        adapterAccum: blobOf(cp.adapterAccum), adapterCount: cp.adapterCount, samples: cp.samples,
        appliedSeq: cp.appliedSeq, appliedCount: cp.appliedCount, appliedSeqSum: cp.appliedSeqSum, now,
      });
      this.clearLegacyRows.run();
      this.clearSegments.run();
      this.writeLive(1, cp);
    });
    this.checkpointTx = db.transaction((cp: ModelCheckpoint, now: number) => {
      const gen = this.nextGeneration();
      this.clearUncommitted.run();
      this.writeLive(gen, cp);
      this.commitGeneration(gen, header(cp), cp.compact === true, now);
    });
  }

  /** True once a model has been installed. */
  exists(): boolean {
    return this.committedGen.get() !== undefined;
  }

  /**
   * Installs a model: `base` becomes the global weights of `meta.version`, the stored rows
   * are replaced by `cp.dirtyRows` of `cp.weights` (pass the rows that still differ from base).
   */
  install(meta: ModelMeta, base: ModelWeights, cp: ModelCheckpoint, now: number): void {
    this.installTx(meta, base, cp, now);
  }

  /** Commits the dirty rows, the adapter and the watermark atomically (nests in an outer transaction). */
  checkpoint(cp: ModelCheckpoint, now: number): void {
    this.checkpointTx(cp, now);
  }

  /** The generation the next checkpoint writes. */
  nextGeneration(): number {
    const g = this.committedGen.get() as number | undefined;
    if (g === undefined) throw new Error('checkpoint before any model was installed');
    return g + 1;
  }

  /**
   * Writes `rows[from..to)` as uncommitted segments of `gen` (values at `pos(j, row)` of
   * `src`), dropping segments left by an interrupted earlier attempt first when `from` is 0.
   * Run it in its own transaction to keep each one short.
   */
  writeSegments(gen: number, rows: ArrayLike<number>, src: RowSource, pos: (j: number, row: number) => number, from: number, to: number): void {
    if (from === 0) this.clearUncommitted.run();
    this.insertRange(gen, rows, src, pos, from, to);
  }

  /**
   * Makes `gen` count, with the dense state and watermark it belongs to; `compact` drops
   * every older row (gen held every row that differs from base). Nests in an outer transaction.
   */
  commitGeneration(gen: number, h: CheckpointHeader, compact: boolean, now: number): void {
    const r = this.updateCheckpoint.run({
      adapter: blobOf(h.adapter), adapterAccum: blobOf(h.adapterAccum), adapterCount: h.adapterCount, samples: h.samples,
      appliedSeq: h.appliedSeq, appliedCount: h.appliedCount, appliedSeqSum: h.appliedSeqSum, now, gen,
    });
    if (r.changes !== 1) throw new Error('checkpoint before any model was installed');
    if (compact) {
      this.clearSegmentsBefore.run(gen);
      this.clearLegacyRows.run();
    }
  }

  /**
   * Row entries stored, superseded ones included: compact (write every overlay row with
   * `compact`) when this grows well past the overlay, or the file grows without bound.
   */
  storedRows(): number {
    return this.storedRowsStmt.get() as number;
  }

  setLastSyncAt(ms: number): void {
    this.setSync.run(ms);
  }

  /** The persisted model, or undefined before the first install. */
  load(): LoadedModel | undefined {
    const s = this.getState.get() as StateRow | undefined;
    if (!s) return undefined;
    if (!s.base) throw new Error('model_state has no base weights (model_base is empty)');
    const meta: ModelMeta = {
      version: s.version, parent: s.parent, numItems: s.num_items, dim: s.dim, config: JSON.parse(s.config),
      lastSyncAt: s.last_sync_at, adapterCount: s.adapter_count, samples: s.samples,
      appliedSeq: s.applied_seq, appliedCount: s.applied_count, appliedSeqSum: s.applied_seq_sum,
    };
    const d = s.dim;
    const parts = [this.legacyRows(d)];
    for (const blob of this.segmentsUpTo.all(s.committed_gen) as Buffer[]) parts.push(decodeRowSegment(blob, d));
    return {
      meta, base: weightsOfBlob(s.base, s.num_items, d), adapter: float32Of(s.adapter),
      adapterAccum: float64Of(s.adapter_accum), overlay: mergeOverlays(parts, s.num_items, d),
    };
  }

  /** Rows of a file written before segments (schema < 6). */
  private legacyRows(d: number): RowOverlay {
    const rows = this.allLegacyRows.all() as { row: number; emb: Buffer; bias: number; accum: number; count: number }[];
    const overlay: RowOverlay = {
      rows: new Uint32Array(rows.length), emb: new Float32Array(rows.length * d), bias: new Float32Array(rows.length),
      accum: new Float32Array(rows.length), counts: new Uint32Array(rows.length),
    };
    rows.forEach((r, j) => {
      overlay.rows[j] = r.row;
      overlay.emb.set(float32Of(r.emb), j * d);
      overlay.bias[j] = r.bias;
      overlay.accum[j] = r.accum;
      overlay.counts[j] = r.count;
    });
    return overlay;
  }

  private writeLive(gen: number, cp: ModelCheckpoint): void {
    const src: RowSource = { dim: cp.weights.dim, emb: cp.weights.itemEmb, bias: cp.weights.itemBias, accum: cp.itemAccum, counts: cp.counts };
    this.insertRange(gen, cp.dirtyRows, src, (_j, row) => row, 0, cp.dirtyRows.length);
  }

  private insertRange(gen: number, rows: ArrayLike<number>, src: RowSource, pos: (j: number, row: number) => number, from: number, to: number): void {
    for (let a = from; a < to; a += SEGMENT_ROWS) {
      const b = Math.min(to, a + SEGMENT_ROWS);
      const bytes = 4 * (4 + (b - a) * (4 + src.dim));
      if (this.scratch.byteLength < bytes) this.scratch = new ArrayBuffer(bytes);
      this.insertSegment.run(gen, b - a, encodeRowSegment(rows, src, pos, a, b, this.scratch));
    }
  }
}
