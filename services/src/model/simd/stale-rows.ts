/**
 * Which rows of the int8 mirror no longer match the f32 table. Writers mark a row after
 * writing it (O(1), deduplicated by a flag per row); the next quantized query re-quantizes
 * exactly those rows before it scans. Past `list.length` distinct rows (or after
 * `markAll`) the whole table is rebuilt instead, which is cheaper than a long list anyway.
 *
 * `list` is a view into the wasm memory so the kernel reads the row indices directly.
 *
 * @example
 * const stale = new StaleRows(n, listView);
 * stale.mark(42);
 * const { all, count } = stale.take(); // all = true on first use: nothing was quantized yet
 */
export class StaleRows {
  private readonly flags: Uint8Array;
  private count = 0;
  /** true until the first rebuild: a fresh mirror holds nothing */
  private all = true;

  constructor(
    readonly numRows: number,
    readonly list: Int32Array,
  ) {
    this.flags = new Uint8Array(numRows);
  }

  /** Row `row` was written (out-of-range rows are ignored). */
  mark(row: number): void {
    if (this.all || !(row >= 0 && row < this.numRows) || this.flags[row]) return;
    if (this.count === this.list.length) {
      this.markAll();
      return;
    }
    this.flags[row | 0] = 1;
    this.list[this.count++] = row | 0;
  }

  /** Every row may have changed (a whole-table write). */
  markAll(): void {
    this.all = true;
  }

  /** Whether row `row` will be re-quantized before the next scan. */
  isStale(row: number): boolean {
    return this.all || this.flags[row] === 1;
  }

  /** Rows pending: `all`, or the first `count` entries of `list`. */
  get pending(): { all: boolean; count: number } {
    return { all: this.all, count: this.count };
  }

  /** Whether nothing is pending (the mirror matches the table). */
  get clean(): boolean {
    return !this.all && this.count === 0;
  }

  /** Returns what is pending and forgets it: the caller re-quantizes those rows now. */
  take(): { all: boolean; count: number } {
    const out = { all: this.all, count: this.count };
    if (this.all) this.flags.fill(0);
    else for (let j = 0; j < this.count; j++) this.flags[this.list[j]] = 0;
    this.all = false;
    this.count = 0;
    return out;
  }
}
