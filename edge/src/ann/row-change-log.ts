import { resized } from '@edgerec/services/common';

/**
 * Which item rows changed since an ANN index was built, read from the model's RowTracker
 * counts (every learner write of a row bumps its count). A look compares the counts with
 * those of the last look: a row whose count moved changed. The uplink resets the counts
 * after it extracts a delta, so a count that went down also marks its row: that may flag a
 * row touched only before the build (harmless: one more exact score per query), but it
 * never misses one touched after it. The counts are taken when the build starts, before
 * its rows are copied, so a row written while the copy runs counts as changed too.
 *
 * The first `maxListed` changed rows are listed (the query path scores them exactly);
 * past that only the count is kept.
 *
 * @example
 * const log = new RowChangeLog(model.tracker.counts, 16_384); // at build start
 * log.look(model.tracker.counts);                              // e.g. once a second
 * log.rows();  // rows to score exactly besides the index's candidates (null past maxListed)
 */
export class RowChangeLog {
  private base: Uint32Array;
  private flags: Uint8Array;
  private readonly list: number[] = [];
  private count = 0;
  /** a new global model replaced every row since the build */
  swapped = false;

  constructor(
    counts: Uint32Array,
    readonly maxListed: number,
  ) {
    this.base = counts.slice();
    this.flags = new Uint8Array(counts.length);
  }

  /** Rows seen changed so far (every row of the table counts once). */
  get changed(): number {
    return this.count;
  }

  /** The changed rows when at most `maxListed` changed, else null (too many to score one by one). */
  rows(): readonly number[] | null {
    return this.count > this.maxListed ? null : this.list;
  }

  /** Marks every row whose count differs from the last look (O(rows): ~1 ms at 1M rows). */
  look(counts: Uint32Array): void {
    if (counts.length !== this.base.length) this.resize(counts.length);
    const { base, flags } = this;
    for (let i = 0; i < counts.length; i++) {
      const c = counts[i];
      if (c === base[i]) continue;
      base[i] = c;
      if (!flags[i]) this.mark(i);
    }
  }

  /**
   * Marks `row` changed whatever its count says: a row found to differ from the index by
   * other means (its fingerprint, after a restart that lost the counts).
   */
  mark(row: number): void {
    if (row >= this.flags.length) this.resize(row + 1);
    if (this.flags[row]) return;
    this.flags[row] = 1;
    this.count++;
    if (this.list.length < this.maxListed) this.list.push(row);
  }

  /**
   * A new global model was swapped in (its counts start again from zero): every row now
   * differs from the index, which stays usable only through the exact re-rank. Rows the
   * learner writes from here on are still listed, so they stay exact candidates.
   */
  modelSwapped(counts: Uint32Array): void {
    this.swapped = true;
    if (counts.length !== this.base.length) this.resize(counts.length);
    this.base.set(counts);
  }

  private resize(n: number): void {
    this.base = resized(this.base, n);
    this.flags = resized(this.flags, n);
  }
}
