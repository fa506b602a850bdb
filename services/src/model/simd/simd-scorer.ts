import type { ModelWeights } from '../weights.js';
import { selectTopK, type ScoredItem } from '../top-k.js';
import { scoreKernelModule, wasmSimdSupported } from './simd-support.js';

const PAGE_BYTES = 65_536;
/** wasm32 addresses at most 4 GiB; past that the table stays in JS memory. */
const MAX_PAGES = 65_536;
/** cache-line alignment of each region, so views are 16-byte aligned for v128 access */
const align64 = (bytes: number): number => Math.ceil(bytes / 64) * 64;

/** Largest k the wasm selection serves; a larger k falls back to `selectTopK` over the scores. */
export const SIMD_MAX_K = 1024;

type ScoreExport = (e: number, b: number, q: number, out: number, n: number, d: number) => void;
type SelectExport = (s: number, n: number, k: number, hs: number, hi: number, ex: number) => number;

/** Item table → the scorer whose memory holds it; keyed by the view so spread copies of the weights object still match. */
const scorerByTable = new WeakMap<Float32Array, SimdScorer>();

/**
 * The item table `E` (numItems × dim), item bias `b` and a score buffer living in one
 * WebAssembly.Memory, with the SIMD kernel of score-kernel.wat bound to it: a query copies
 * only `q` (dim floats) in, and learners write rows through the `itemEmb`/`itemBias` views,
 * so scores always see the latest rows without copies.
 *
 * The memory is sized exactly once (initial = maximum pages) and never grows, so the views
 * can never detach; a model that needs more rows gets a new scorer (see wasm-weights.ts),
 * and the old memory is collected with the old weights.
 *
 * @example
 * const s = SimdScorer.create(50_000, 64);
 * s.itemEmb.set(table); s.itemBias.set(bias);
 * const scores = s.scoreAll(q); // view, overwritten by the next call
 * const top = s.topK(q, 10, seen);  // same result as selectTopK(scores, 10, seen)
 */
export class SimdScorer {
  readonly itemEmb: Float32Array;
  readonly itemBias: Float32Array;
  /** scores of the last `scoreAll`, overwritten by the next call */
  readonly scores: Float32Array;
  private readonly query: Float32Array;
  private readonly score: ScoreExport;
  private readonly select: SelectExport;
  private readonly heapScores: Float32Array;
  private readonly heapItems: Int32Array;
  /** exclusion bitmap (bit i = item i), all zero between calls */
  private readonly excluded: Uint8Array;
  private readonly qOff: number;
  private readonly eOff: number;
  private readonly bOff: number;
  private readonly outOff: number;
  private readonly hsOff: number;
  private readonly hiOff: number;
  private readonly exOff: number;

  private constructor(
    readonly numItems: number,
    readonly dim: number,
  ) {
    this.qOff = 0;
    this.eOff = align64(dim * 4);
    this.bOff = align64(this.eOff + numItems * dim * 4);
    this.outOff = align64(this.bOff + numItems * 4);
    this.hsOff = align64(this.outOff + numItems * 4);
    this.hiOff = this.hsOff + SIMD_MAX_K * 4;
    this.exOff = this.hiOff + SIMD_MAX_K * 4;
    const pages = Math.max(1, Math.ceil((this.exOff + Math.ceil(numItems / 8)) / PAGE_BYTES));
    if (pages > MAX_PAGES) throw new RangeError(`item table of ${numItems} × ${dim} does not fit in wasm32 memory`);
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    const instance = new WebAssembly.Instance(scoreKernelModule(), { env: { memory } });
    this.score = instance.exports.score as ScoreExport;
    this.select = instance.exports.select as SelectExport;
    const buf = memory.buffer;
    this.query = new Float32Array(buf, this.qOff, dim);
    this.itemEmb = new Float32Array(buf, this.eOff, numItems * dim);
    this.itemBias = new Float32Array(buf, this.bOff, numItems);
    this.scores = new Float32Array(buf, this.outOff, numItems);
    this.heapScores = new Float32Array(buf, this.hsOff, SIMD_MAX_K);
    this.heapItems = new Int32Array(buf, this.hiOff, SIMD_MAX_K);
    this.excluded = new Uint8Array(buf, this.exOff, Math.ceil(numItems / 8));
    scorerByTable.set(this.itemEmb, this);
  }

  /** A zeroed table of `numItems × dim`; throws when wasm SIMD is unavailable or the table exceeds 4 GiB. */
  static create(numItems: number, dim: number): SimdScorer {
    if (!Number.isInteger(numItems) || numItems < 0 || !Number.isInteger(dim) || dim < 1) {
      throw new RangeError(`bad shape ${numItems} × ${dim}`);
    }
    if (!wasmSimdSupported()) throw new Error('WebAssembly SIMD is not supported by this engine');
    return new SimdScorer(numItems, dim);
  }

  /** `out = E·q + b` for all items; returns the score view (valid until the next call). */
  scoreAll(q: ArrayLike<number>): Float32Array {
    this.query.set(q);
    this.score(this.eOff, this.bOff, this.qOff, this.outOff, this.numItems, this.dim);
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
    const n = this.numItems;
    const bits = this.excluded;
    const marked: number[] = [];
    if (exclude) {
      for (const item of exclude as Set<unknown>) {
        if (typeof item !== 'number' || !Number.isInteger(item) || item < 0 || item >= n) continue;
        bits[item >> 3] |= 1 << (item & 7);
        marked.push(item);
      }
    }
    const size = this.select(this.outOff, n, Math.max(0, Math.floor(k)), this.hsOff, this.hiOff, marked.length > 0 ? this.exOff : 0);
    for (const item of marked) bits[item >> 3] = 0;
    const out: ScoredItem[] = [];
    for (let j = 0; j < size; j++) out.push({ item: this.heapItems[j], score: this.heapScores[j] });
    out.sort((a, b) => b.score - a.score || a.item - b.item);
    return out;
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
