import type { ModelWeights } from '../weights.js';
import { selectTopK, type ScoredItem } from '../top-k.js';
import { Int8Mirror, type Int8KernelExports, type SelectExport } from './int8-mirror.js';
import { candidateCount, type RerankDepth } from './int8-quantizer.js';
import { MAX_PAGES, scorerLayout, SIMD_MAX_K, type ScorerLayout } from './scorer-layout.js';
import { int8KernelModule, scoreKernelModule, wasmSimdSupported } from './simd-support.js';
import { LearnWorkspace } from './learn-workspace.js';

export { SIMD_MAX_K };

type ScoreExport = (e: number, b: number, q: number, out: number, n: number, d: number) => void;

/** Item table → the scorer whose memory holds it; keyed by the view so spread copies of the weights object still match. */
const scorerByTable = new WeakMap<Float32Array, SimdScorer>();

/**
 * The item table `E` (numItems × dim), item bias `b` and a score buffer living in one
 * WebAssembly.Memory, with the SIMD kernel of score-kernel.wat bound to it: a query copies
 * only `q` (dim floats) in, and learners write rows through the `itemEmb`/`itemBias` views,
 * so exact scores always see the latest rows without copies.
 *
 * The same memory holds an int8 mirror of `E` (int8-kernel.wat) for `topKQuantized`: an
 * int8 scan picks candidates, f32 re-scores them. The mirror is refreshed lazily from a
 * stale-row signal, so whoever writes rows of `itemEmb` must say so: `markRowDirty(row)`
 * per written row (RecommenderModel and applyDelta do) or `markAllDirty()` after a bulk
 * write. The bias is read live by both paths and needs no marking.
 *
 * The memory is sized exactly once (initial = maximum pages) and never grows, so the views
 * can never detach; a model that needs more rows gets a new scorer (see wasm-weights.ts),
 * and the old memory is collected with the old weights.
 *
 * @example
 * const s = SimdScorer.create(50_000, 64);
 * s.itemEmb.set(table); s.itemBias.set(bias); // fresh scorer: the mirror is built on first use
 * const scores = s.scoreAll(q); // view, overwritten by the next call
 * const top = s.topK(q, 10, seen);  // same result as selectTopK(scores, 10, seen)
 * s.itemEmb[7 * 64] = 1; s.markRowDirty(7);
 * const fast = s.topKQuantized(q, 10, seen); // int8 candidates, exact f32 scores
 */
export class SimdScorer {
  readonly itemEmb: Float32Array;
  readonly itemBias: Float32Array;
  /** scores of the last `scoreAll`, overwritten by the next call (also the int8 pass's buffer) */
  readonly scores: Float32Array;
  /** the int8 mirror of `itemEmb` and its stale-row signal */
  readonly int8: Int8Mirror;
  /** the online learner's kernel and workspace; its `adapter` view is the weights' adapter */
  readonly learner: LearnWorkspace;
  private readonly at: ScorerLayout;
  private readonly query: Float32Array;
  private readonly score: ScoreExport;
  private readonly select: SelectExport;
  private readonly heapScores: Float32Array;
  private readonly heapItems: Int32Array;
  /** exclusion bitmap (bit i = item i), all zero between calls */
  private readonly excluded: Uint8Array;

  private constructor(
    readonly numItems: number,
    readonly dim: number,
    rank: number,
  ) {
    const at = scorerLayout(numItems, dim, rank);
    if (at.pages > MAX_PAGES) throw new RangeError(`item table of ${numItems} × ${dim} does not fit in wasm32 memory`);
    this.at = at;
    const memory = new WebAssembly.Memory({ initial: at.pages, maximum: at.pages });
    const exact = new WebAssembly.Instance(scoreKernelModule(), { env: { memory } });
    const int8 = new WebAssembly.Instance(int8KernelModule(), { env: { memory } });
    this.score = exact.exports.score as ScoreExport;
    this.select = exact.exports.select as SelectExport;
    const buf = memory.buffer;
    this.query = new Float32Array(buf, at.q, dim);
    this.itemEmb = new Float32Array(buf, at.e, numItems * dim);
    this.itemBias = new Float32Array(buf, at.b, numItems);
    this.scores = new Float32Array(buf, at.out, numItems);
    this.heapScores = new Float32Array(buf, at.hs, SIMD_MAX_K);
    this.heapItems = new Int32Array(buf, at.hi, SIMD_MAX_K);
    this.excluded = new Uint8Array(buf, at.ex, Math.ceil(numItems / 8));
    this.int8 = new Int8Mirror(buf, at, numItems, dim, int8.exports as unknown as Int8KernelExports, this.select, SIMD_MAX_K);
    this.learner = new LearnWorkspace(memory, at.learn, at.e, at.b, dim, rank);
    scorerByTable.set(this.itemEmb, this);
  }

  /**
   * A zeroed table of `numItems × dim` (and adapter of rank `rank`); throws when wasm SIMD is
   * unavailable or the table exceeds 4 GiB.
   */
  static create(numItems: number, dim: number, rank = 0): SimdScorer {
    if (!Number.isInteger(numItems) || numItems < 0 || !Number.isInteger(dim) || dim < 1 || !Number.isInteger(rank) || rank < 0) {
      throw new RangeError(`bad shape ${numItems} × ${dim} (rank ${rank})`);
    }
    if (!wasmSimdSupported()) throw new Error('WebAssembly SIMD is not supported by this engine');
    return new SimdScorer(numItems, dim, rank);
  }

  /** Row `row` of `itemEmb` was written: the int8 mirror re-quantizes it before its next scan. */
  markRowDirty(row: number): void {
    this.int8.stale.mark(row);
  }

  /** Any row may have changed (bulk write): the int8 mirror is rebuilt before its next scan. */
  markAllDirty(): void {
    this.int8.stale.markAll();
  }

  /** `out = E·q + b` for all items; returns the score view (valid until the next call). */
  scoreAll(q: ArrayLike<number>): Float32Array {
    this.query.set(q);
    this.score(this.at.e, this.at.b, this.at.q, this.at.out, this.numItems, this.dim);
    return this.scores;
  }

  /**
   * Top-k of `E·q + b`, best first, skipping `exclude`: exactly `selectTopK(scoreAll(q), k,
   * exclude)` (same heap, same ties), with the selection in wasm too when `exclude` is a Set
   * (passed as a bitmap) or absent and k ≤ SIMD_MAX_K; otherwise selectTopK runs on the view.
   */
  topK(q: ArrayLike<number>, k: number, exclude?: { has(item: number): boolean }): ScoredItem[] {
    const scores = this.scoreAll(q);
    if (k > SIMD_MAX_K || (exclude !== undefined && !(exclude instanceof Set))) return selectTopK(scores, k, exclude);
    const marked = this.markExcluded(exclude);
    const size = this.select(this.at.out, this.numItems, Math.max(0, Math.floor(k)), this.at.hs, this.at.hi, marked.length > 0 ? this.at.ex : 0);
    this.clearExcluded(marked);
    const out: ScoredItem[] = [];
    for (let j = 0; j < size; j++) out.push({ item: this.heapItems[j], score: this.heapScores[j] });
    out.sort((a, b) => b.score - a.score || a.item - b.item);
    return out;
  }

  /**
   * Top-k by "quantized scan, refine": the int8 mirror scores all rows, the best
   * C = max(k·rerank, k + minCandidates) not excluded get their exact f32 score (bit-identical
   * to `scoreAll`), and the best k of those are returned, best first (ties by item). Equals
   * `topK` whenever the exact top-k are among the int8 top-C. Falls back to `topK` where the
   * int8 pass cannot help or serve: C ≥ numItems, C > SIMD_MAX_K, a non-Set `exclude`, a
   * non-finite query. Stale rows (see markRowDirty) are re-quantized first.
   */
  topKQuantized(q: ArrayLike<number>, k: number, exclude?: { has(item: number): boolean }, depth: RerankDepth = {}): ScoredItem[] {
    const kk = Math.max(0, Math.floor(k));
    const c = candidateCount(kk, Infinity, Infinity, depth); // uncapped: a capped depth would cost recall
    if (kk === 0 || c >= this.numItems || c > SIMD_MAX_K || (exclude !== undefined && !(exclude instanceof Set))) {
      return this.topK(q, k, exclude);
    }
    this.query.set(q); // the f32 query the re-rank reads
    const marked = this.markExcluded(exclude);
    const top = this.int8.topK(q, kk, marked.length > 0 ? this.at.ex : 0, c);
    this.clearExcluded(marked);
    return top ?? this.topK(q, k, exclude);
  }

  /** Sets the bitmap bits of the valid items in `exclude`; returns them (to clear afterwards). */
  private markExcluded(exclude?: { has(item: number): boolean }): number[] {
    const marked: number[] = [];
    if (!exclude) return marked;
    const bits = this.excluded;
    for (const item of exclude as Set<unknown>) {
      if (typeof item !== 'number' || !Number.isInteger(item) || item < 0 || item >= this.numItems) continue;
      bits[item >> 3] |= 1 << (item & 7);
      marked.push(item);
    }
    return marked;
  }

  private clearExcluded(marked: number[]): void {
    for (const item of marked) this.excluded[item >> 3] = 0;
  }
}

/**
 * The scorer whose wasm memory holds `w`'s item table and bias, or null when `w` is plain
 * JS memory (or its arrays were replaced): the model then keeps its JS loop.
 *
 * @example
 * const s = simdScorerOf(model.weights);
 * const scores = s ? s.scoreAll(q) : jsLoop(q);
 */
export function simdScorerOf(w: Pick<ModelWeights, 'numItems' | 'dim' | 'itemEmb' | 'itemBias'>): SimdScorer | null {
  const s = scorerByTable.get(w.itemEmb);
  return s && s.itemBias === w.itemBias && s.numItems === w.numItems && s.dim === w.dim ? s : null;
}

/**
 * Tells the scorer behind `w` (if any) that rows of `w.itemEmb` were written outside the
 * model's own learner: the listed `rows`, or every row when `rows` is omitted. A no-op for
 * plain JS weights. Code that writes item rows directly must call this (or the scorer's
 * markRowDirty) or quantized top-k may pick candidates from the old values.
 *
 * @example
 * for (const r of rows) w.itemEmb.set(newRow(r), r * w.dim);
 * markItemRowsWritten(w, rows);
 */
export function markItemRowsWritten(w: Pick<ModelWeights, 'numItems' | 'dim' | 'itemEmb' | 'itemBias'>, rows?: ArrayLike<number>): void {
  const s = simdScorerOf(w);
  if (!s) return;
  if (!rows) s.markAllDirty();
  else for (let j = 0; j < rows.length; j++) s.markRowDirty(rows[j]);
}
