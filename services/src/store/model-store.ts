import type { ModelWeights } from '../model/weights.js';
import type { Db } from './open-database.js';
import { blobOf, float32Of, float64Of } from './typed-array-blobs.js';

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

/** Local state of some item rows: full rows (not differences), aligned arrays. */
export interface RowOverlay {
  rows: Uint32Array;
  emb: Float32Array;
  bias: Float32Array;
  accum: Float32Array;
  counts: Uint32Array;
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
  version: number; parent: number | null; num_items: number; dim: number; config: string; base: Buffer;
  adapter: Buffer; adapter_accum: Buffer; adapter_count: number; samples: number; applied_seq: number;
  applied_count: number; applied_seq_sum: number; last_sync_at: number | null;
}

/**
 * The edge's local copy of the shared model, stored as the global base weights (one blob,
 * rewritten only when a new global version is installed) plus an overlay of the item rows
 * the learner changed since (upserted at each checkpoint). A checkpoint commits the rows,
 * the adapter and the applied-event watermark in one transaction, so after a crash the
 * learner resumes right after the last event whose effect is on disk: exactly-once effect.
 *
 * @example
 * const models = new ModelStore(db);
 * models.install({ version: 0, parent: null, ... }, weights, overlay); // at first start
 * models.checkpoint(state, Date.now());                                  // every N events
 * const { meta, base, overlay } = models.load()!;                        // on restart
 */
export class ModelStore {
  private readonly getState;
  private readonly putState;
  private readonly clearRows;
  private readonly upsertRow;
  private readonly allRows;
  private readonly updateCheckpoint;
  private readonly setSync;
  private readonly installTx;
  private readonly checkpointTx;

  constructor(db: Db) {
    this.getState = db.prepare('SELECT * FROM model_state WHERE id = 1');
    this.putState = db.prepare(`INSERT OR REPLACE INTO model_state (id, version, parent, num_items, dim, config, base,
      adapter, adapter_accum, adapter_count, samples, applied_seq, applied_count, applied_seq_sum, last_sync_at, updated_at)
      VALUES (1, @version, @parent, @numItems, @dim, @config, @base, @adapter, @adapterAccum, @adapterCount, @samples,
      @appliedSeq, @appliedCount, @appliedSeqSum, @lastSyncAt, @now)`);
    this.clearRows = db.prepare('DELETE FROM model_rows');
    this.upsertRow = db.prepare('INSERT OR REPLACE INTO model_rows (row, emb, bias, accum, count) VALUES (?, ?, ?, ?, ?)');
    this.allRows = db.prepare('SELECT row, emb, bias, accum, count FROM model_rows ORDER BY row');
    this.updateCheckpoint = db.prepare(`UPDATE model_state SET adapter = @adapter, adapter_accum = @adapterAccum,
      adapter_count = @adapterCount, samples = @samples, applied_seq = @appliedSeq, applied_count = @appliedCount,
      applied_seq_sum = @appliedSeqSum, updated_at = @now WHERE id = 1`);
    this.setSync = db.prepare('UPDATE model_state SET last_sync_at = ? WHERE id = 1');
    this.installTx = db.transaction((meta: ModelMeta, base: ModelWeights, cp: ModelCheckpoint, now: number) => {
      this.putState.run({
        ...meta, config: JSON.stringify(meta.config), base: weightsBlob(base), adapter: blobOf(cp.weights.adapter),
        adapterAccum: blobOf(cp.adapterAccum), adapterCount: cp.adapterCount, samples: cp.samples,
        appliedSeq: cp.appliedSeq, appliedCount: cp.appliedCount, appliedSeqSum: cp.appliedSeqSum, now,
      });
      this.clearRows.run();
      this.writeRows(cp);
    });
    this.checkpointTx = db.transaction((cp: ModelCheckpoint, now: number) => {
      const r = this.updateCheckpoint.run({
        adapter: blobOf(cp.weights.adapter), adapterAccum: blobOf(cp.adapterAccum), adapterCount: cp.adapterCount,
        samples: cp.samples, appliedSeq: cp.appliedSeq, appliedCount: cp.appliedCount, appliedSeqSum: cp.appliedSeqSum, now,
      });
      if (r.changes !== 1) throw new Error('checkpoint before any model was installed');
      this.writeRows(cp);
    });
  }

  /** True once a model has been installed. */
  exists(): boolean {
    return this.getState.get() !== undefined;
  }

  /**
   * Installs a model: `base` becomes the global weights of `meta.version`, the overlay is
   * replaced by `cp.dirtyRows` of `cp.weights` (pass the rows that still differ from base).
   */
  install(meta: ModelMeta, base: ModelWeights, cp: ModelCheckpoint, now: number): void {
    this.installTx(meta, base, cp, now);
  }

  /** Commits the dirty rows, the adapter and the watermark atomically (nests in an outer transaction). */
  checkpoint(cp: ModelCheckpoint, now: number): void {
    this.checkpointTx(cp, now);
  }

  setLastSyncAt(ms: number): void {
    this.setSync.run(ms);
  }

  /** The persisted model, or undefined before the first install. */
  load(): LoadedModel | undefined {
    const s = this.getState.get() as StateRow | undefined;
    if (!s) return undefined;
    const meta: ModelMeta = {
      version: s.version, parent: s.parent, numItems: s.num_items, dim: s.dim, config: JSON.parse(s.config),
      lastSyncAt: s.last_sync_at, adapterCount: s.adapter_count, samples: s.samples,
      appliedSeq: s.applied_seq, appliedCount: s.applied_count, appliedSeqSum: s.applied_seq_sum,
    };
    const rows = this.allRows.all() as { row: number; emb: Buffer; bias: number; accum: number; count: number }[];
    const d = s.dim;
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
    return {
      meta, base: weightsOfBlob(s.base, s.num_items, d), adapter: float32Of(s.adapter),
      adapterAccum: float64Of(s.adapter_accum), overlay,
    };
  }

  private writeRows(cp: ModelCheckpoint): void {
    const { weights: w, dirtyRows } = cp;
    const d = w.dim;
    for (let j = 0; j < dirtyRows.length; j++) {
      const r = dirtyRows[j];
      this.upsertRow.run(r, blobOf(w.itemEmb.subarray(r * d, (r + 1) * d)), w.itemBias[r], cp.itemAccum[r], cp.counts[r]);
    }
  }
}
