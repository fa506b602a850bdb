import type { ModelWeights, SparseDelta } from './weights.js';
import { simdScorerOf } from './simd/simd-scorer.js';
import { resized } from '../common/typed-array-resize.js';

/**
 * Records which shared rows were updated since the last extraction and how often, so an
 * edge can ship only touched rows and central can weight sparse FedAvg by per-row counts.
 */
export class RowTracker {
  counts: Uint32Array;
  adapterCount = 0;
  samples = 0;

  constructor(numItems: number) {
    this.counts = new Uint32Array(numItems);
  }

  touch(row: number): void {
    this.counts[row]++;
  }

  touchAdapter(): void {
    this.adapterCount++;
  }

  resize(numItems: number): void {
    this.counts = resized(this.counts, numItems);
  }

  touchedRows(): Uint32Array {
    let n = 0;
    for (let i = 0; i < this.counts.length; i++) if (this.counts[i] > 0) n++;
    const rows = new Uint32Array(n);
    let j = 0;
    for (let i = 0; i < this.counts.length; i++) if (this.counts[i] > 0) rows[j++] = i;
    return rows;
  }

  reset(): void {
    this.counts.fill(0);
    this.adapterCount = 0;
    this.samples = 0;
  }
}

/**
 * Sparse delta `current − base` over the rows `tracker` saw touched.
 *
 * @example
 * const delta = extractDelta(model.weights, globalWeights, model.tracker);
 * model.tracker.reset();
 */
export function extractDelta(current: ModelWeights, base: ModelWeights, tracker: RowTracker): SparseDelta {
  const d = current.dim;
  const rows = tracker.touchedRows();
  const emb = new Float32Array(rows.length * d);
  const bias = new Float32Array(rows.length);
  const rowCounts = new Uint32Array(rows.length);
  for (let j = 0; j < rows.length; j++) {
    const r = rows[j];
    const off = r * d;
    const inBase = r < base.numItems;
    for (let k = 0; k < d; k++) emb[j * d + k] = current.itemEmb[off + k] - (inBase ? base.itemEmb[off + k] : 0);
    bias[j] = current.itemBias[r] - (inBase ? base.itemBias[r] : 0);
    rowCounts[j] = tracker.counts[r];
  }
  let adapter: Float32Array | null = null;
  if (tracker.adapterCount > 0) {
    adapter = new Float32Array(current.adapter.length);
    for (let i = 0; i < adapter.length; i++) adapter[i] = current.adapter[i] - base.adapter[i];
  }
  return { dim: d, rows, emb, bias, rowCounts, adapter, adapterCount: tracker.adapterCount, samples: tracker.samples };
}

/** Adds `delta` (scaled) into `target` in place. Rows beyond the table are ignored. */
export function applyDelta(target: ModelWeights, delta: SparseDelta, scale = 1): void {
  const d = target.dim;
  const simd = simdScorerOf(target); // wasm-backed table: its int8 mirror must re-quantize the rows
  for (let j = 0; j < delta.rows.length; j++) {
    const r = delta.rows[j];
    if (r >= target.numItems) continue;
    const off = r * d;
    for (let k = 0; k < d; k++) target.itemEmb[off + k] += scale * delta.emb[j * d + k];
    target.itemBias[r] += scale * delta.bias[j];
    simd?.markRowDirty(r);
  }
  if (delta.adapter) for (let i = 0; i < target.adapter.length; i++) target.adapter[i] += scale * delta.adapter[i];
}
