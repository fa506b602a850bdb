import type { ScoredItem } from '../top-k.js';
import { quantizeQueryInt16 } from './int8-quantizer.js';
import type { ScorerLayout } from './scorer-layout.js';
import { StaleRows } from './stale-rows.js';

/** Exports of int8-kernel.wat. */
export interface Int8KernelExports {
  quantize_range(e: number, qe: number, rs: number, first: number, count: number, d: number, stride: number): void;
  quantize_list(e: number, qe: number, rs: number, list: number, count: number, d: number, stride: number): void;
  score_i8(qe: number, rs: number, b: number, q: number, out: number, n: number, stride: number, qs: number): void;
  rescore(e: number, b: number, q: number, ids: number, out: number, c: number, d: number, n4: number): void;
}

/** score-kernel.wat's `select`: top-k of n scores into the heap, skipping the bitmap's items; returns the heap size. */
export type SelectExport = (s: number, n: number, k: number, hs: number, hi: number, ex: number) => number;

/**
 * The int8 mirror of a scorer's item table (same wasm memory) and the "quantized scan,
 * refine" top-k over it: re-quantize stale rows, score every row in int8 into the score
 * buffer, keep the best C (with the exclusion bitmap), re-score those C rows exactly in f32
 * and return the best k of them. The f32 query must already be in the scorer's query slot.
 *
 * @example
 * mirror.stale.mark(row);                  // after writing E[row]
 * mirror.topK(q, 10, exOffset, { rerank: 8 }); // exact scores, int8-chosen candidates
 */
export class Int8Mirror {
  /** int8 rows (numItems × stride, zero padded) */
  readonly rows: Int8Array;
  /** per-row scales: E[i,k] ≈ rows[i·stride + k] · scales[i] */
  readonly scales: Float32Array;
  readonly stale: StaleRows;
  private readonly q16: Int16Array;
  private readonly ids: Int32Array;
  private readonly candScores: Float32Array;
  private readonly heapScores: Float32Array;
  private readonly heapItems: Int32Array;

  constructor(
    buf: ArrayBuffer,
    private readonly at: ScorerLayout,
    readonly numItems: number,
    readonly dim: number,
    private readonly kernel: Int8KernelExports,
    private readonly select: SelectExport,
    capacity: number,
  ) {
    this.rows = new Int8Array(buf, at.qe, numItems * at.stride);
    this.scales = new Float32Array(buf, at.rs, numItems);
    this.stale = new StaleRows(numItems, new Int32Array(buf, at.stale, at.staleCap));
    this.q16 = new Int16Array(buf, at.q16, at.stride);
    this.ids = new Int32Array(buf, at.ids, capacity);
    this.candScores = new Float32Array(buf, at.cs, capacity);
    this.heapScores = new Float32Array(buf, at.hs, capacity);
    this.heapItems = new Int32Array(buf, at.hi, capacity);
  }

  /** Re-quantizes the stale rows (all of them on first use or after markAll); returns how many. */
  refresh(): number {
    if (this.stale.clean) return 0;
    const { all, count } = this.stale.take();
    const { at, kernel } = this;
    if (all) kernel.quantize_range(at.e, at.qe, at.rs, 0, this.numItems, this.dim, at.stride);
    else kernel.quantize_list(at.e, at.qe, at.rs, at.stale, count, this.dim, at.stride);
    return all ? this.numItems : count;
  }

  /**
   * Approximate scores of every row into the scorer's score buffer (re-quantizing stale rows
   * first). Returns false, writing nothing, when `q` has a non-finite value.
   */
  scan(q: ArrayLike<number>): boolean {
    this.refresh();
    const qs = quantizeQueryInt16(q, this.q16);
    if (Number.isNaN(qs)) return false;
    const at = this.at;
    this.kernel.score_i8(at.qe, at.rs, at.b, at.q16, at.out, this.numItems, at.stride, qs);
    return true;
  }

  /**
   * Top-k by exact score among the int8 pass's best `candidates` rows, best first (ties by
   * item). `ex` is the exclusion bitmap's offset (0 = none); null when `q` is not finite.
   */
  topK(q: ArrayLike<number>, k: number, ex: number, candidates: number): ScoredItem[] | null {
    if (!this.scan(q)) return null;
    const { at, ids } = this;
    const c = this.select(at.out, this.numItems, candidates, at.hs, at.hi, ex);
    const cand = ids.subarray(0, c);
    cand.set(this.heapItems.subarray(0, c));
    cand.sort(); // item order, so the final heap meets equal scores in the order the full scan does
    this.kernel.rescore(at.e, at.b, at.q, at.ids, at.cs, c, this.dim, this.numItems & ~3);
    const size = this.select(at.cs, c, Math.min(k, c), at.hs, at.hi, 0);
    const out: ScoredItem[] = [];
    for (let j = 0; j < size; j++) out.push({ item: ids[this.heapItems[j]], score: this.heapScores[j] });
    out.sort((a, b) => b.score - a.score || a.item - b.item);
    return out;
  }
}
