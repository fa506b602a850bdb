import { resized } from '@edgerec/services/common';

/**
 * Which item rows a learner checkpoint must write. A row is dirty when the model's
 * RowTracker count moved since the last checkpoint (every update of a row — its values and
 * its Adagrad accumulator — bumps the count), or, right after a model swap, when it is in
 * the stored overlay (its stored values came from the old base).
 *
 * @example
 * const dirty = new DirtyRows(model.tracker.counts, overlayRows);
 * const rows = dirty.collect(model.tracker.counts, swapped);
 * save(rows); dirty.committed(model.tracker.counts, rows);
 */
export class DirtyRows {
  private atCheckpoint: Uint32Array;
  private inOverlay: Uint8Array;

  constructor(counts: Uint32Array, overlayRows: ArrayLike<number>) {
    this.atCheckpoint = counts.slice();
    this.inOverlay = new Uint8Array(counts.length);
    for (let j = 0; j < overlayRows.length; j++) this.inOverlay[overlayRows[j]] = 1;
  }

  /** Rows to write now; `swapped` adds every stored row. */
  collect(counts: Uint32Array, swapped: boolean): number[] {
    if (counts.length !== this.atCheckpoint.length) this.resize(counts.length);
    const rows: number[] = [];
    for (let i = 0; i < counts.length; i++) {
      if (counts[i] !== this.atCheckpoint[i] || (swapped && this.inOverlay[i])) rows.push(i);
    }
    return rows;
  }

  /** Every row that differs from base: stored in the overlay, or dirty now (what a compaction writes). */
  overlayRows(counts: Uint32Array): number[] {
    if (counts.length !== this.atCheckpoint.length) this.resize(counts.length);
    const rows: number[] = [];
    for (let i = 0; i < counts.length; i++) if (this.inOverlay[i] || counts[i] !== this.atCheckpoint[i]) rows.push(i);
    return rows;
  }

  /** Records a committed checkpoint of `rows` at `counts` (the counts the rows were captured at). */
  committed(counts: Uint32Array, rows: readonly number[]): void {
    if (counts.length !== this.atCheckpoint.length) this.resize(counts.length);
    this.atCheckpoint.set(counts);
    for (const r of rows) this.inOverlay[r] = 1;
  }

  private resize(n: number): void {
    this.atCheckpoint = resized(this.atCheckpoint, n);
    this.inOverlay = resized(this.inOverlay, n);
  }
}
