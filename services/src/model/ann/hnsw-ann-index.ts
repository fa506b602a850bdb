import { createRequire } from 'node:module';
import type { HierarchicalNSW } from 'hnswlib-node';
import type { ScoredItem } from '../top-k.js';
import type { ModelWeights } from '../weights.js';
import { augmentedQuery, augmentedRow, type AnnIndex } from './ann-index.js';

export interface HnswOptions {
  /**
   * 'l2-mips' (default): the MIPS→L2 reduction (Bachrach et al. 2014): rows
   * `[E_i, b_i, √(M² − ‖·‖²)]`, queries `[q, 1, 0]`, so the nearest row in L2 is the best by
   * score. HNSW's graph heuristics assume a metric: at 200k items it reaches recall@10 0.99
   * where 'ip' levels off near 0.93 (services/bench/ann-bench.ts). M is the largest row norm
   * at build × `normHeadroom`; a row updated past it gets 0 in the last coordinate and ranks
   * lower than it should (counted in `normOverflows`: rebuild, e.g. on the next model swap).
   * 'ip': hnswlib's inner-product space over `[E_i, b_i]`·`[q, 1]` directly.
   */
  space?: 'ip' | 'l2-mips';
  /** M = largest row norm at build × this (l2-mips only; default 1.2) */
  normHeadroom?: number;
  /** graph degree (hnswlib M; default 16) */
  m?: number;
  /** candidate list while building (default 100) */
  efConstruction?: number;
  /** candidate list while searching, raised to the fetch size when that is larger (default 64) */
  efSearch?: number;
  /** seeds the level assignment (default 100, hnswlib's) */
  seed?: number;
  /** spare capacity before the next resize, as a fraction of the row count (default 0.1) */
  headroom?: number;
}

type HnswModule = { HierarchicalNSW: new (space: 'ip' | 'l2', dim: number) => HierarchicalNSW };
let hnswModule: HnswModule | undefined;

/** hnswlib-node is a native addon: loaded on first use, so importing ann/ never needs it built. */
function loadHnsw(): HnswModule {
  if (!hnswModule) {
    try {
      hnswModule = createRequire(import.meta.url)('hnswlib-node') as HnswModule;
    } catch (e) {
      throw new Error(`hnswlib-node is not installed or its native addon is not built: ${(e as Error).message}`);
    }
  }
  return hnswModule;
}

/**
 * AnnIndex over hnswlib (hnswlib-node). Rows are labelled by their row number; updating a
 * row re-inserts it under the same label (hnswlib updates the vector and re-links its
 * neighbours in place), so learner updates reach the index without a rebuild. Candidates
 * are re-scored exactly against the weights last given to `build`/`update` (k·dim work),
 * so returned scores are the model's `q·E_i + b_i` and the order is exact among them.
 *
 * @example
 * const index = HnswAnnIndex.build(weights, { m: 16, efConstruction: 100, efSearch: 64 });
 * index.search(q, 10, new Set(user.recent));
 */
export class HnswAnnIndex implements AnnIndex {
  readonly dim: number;
  /** rows updated past the l2-mips norm bound since the build (ranked too low; rebuild when > 0) */
  normOverflows = 0;
  private readonly index: HierarchicalNSW;
  private readonly space: 'ip' | 'l2-mips';
  /** search-time candidate list (hnswlib ef); may be changed between searches */
  efSearch: number;
  private readonly headroom: number;
  /** M² of the l2-mips reduction */
  private maxNorm2 = 0;
  private capacity: number;
  private count = 0;
  private readonly removed = new Set<number>();
  private weights: ModelWeights;

  private constructor(weights: ModelWeights, opts: HnswOptions) {
    const { HierarchicalNSW: Hnsw } = loadHnsw();
    this.weights = weights;
    this.dim = weights.dim;
    this.space = opts.space ?? 'l2-mips';
    this.index = this.space === 'ip' ? new Hnsw('ip', this.dim + 1) : new Hnsw('l2', this.dim + 2);
    this.efSearch = opts.efSearch ?? 64;
    this.headroom = opts.headroom ?? 0.1;
    this.capacity = Math.max(1, Math.ceil(weights.numItems * (1 + this.headroom)));
    this.index.initIndex({
      maxElements: this.capacity, m: opts.m ?? 16, efConstruction: opts.efConstruction ?? 100, randomSeed: opts.seed ?? 100,
    });
    if (this.space === 'l2-mips') {
      for (let i = 0; i < weights.numItems; i++) this.maxNorm2 = Math.max(this.maxNorm2, rowNorm2(weights, i));
      this.maxNorm2 *= (opts.normHeadroom ?? 1.2) ** 2;
    }
  }

  /** An index over every row of `weights`. */
  static build(weights: ModelWeights, opts: HnswOptions = {}): HnswAnnIndex {
    const index = new HnswAnnIndex(weights, opts);
    index.addRange(0, weights.numItems);
    return index;
  }

  get size(): number {
    return this.count - this.removed.size;
  }

  search(q: ArrayLike<number>, k: number, exclude?: { has(item: number): boolean }): ScoredItem[] {
    const size = this.size;
    if (k <= 0 || size === 0) return [];
    const query = augmentedQuery(q, this.dim);
    if (this.space === 'l2-mips') query.push(0);
    // Over-fetch by the exclusion count when it is known; a filter callback (one native→JS call per candidate) only when that falls short.
    const extra = exclude ? ((exclude as { size?: number }).size ?? k) : 0;
    const fetch = Math.min(size, k + extra);
    this.index.setEf(Math.max(this.efSearch, fetch));
    let found = this.rescore(q, this.index.searchKnn(query, fetch).neighbors, exclude);
    if (found.length < Math.min(k, size) && exclude && fetch < size) {
      const keep = (label: number) => !exclude.has(label);
      found = this.rescore(q, this.index.searchKnn(query, Math.min(k, size), keep).neighbors, exclude);
    }
    return found.slice(0, k);
  }

  update(weights: ModelWeights, rows: ArrayLike<number>): void {
    if (weights.dim !== this.dim) throw new Error(`weights dim ${weights.dim} ≠ index dim ${this.dim}`);
    this.weights = weights;
    for (let j = 0; j < rows.length; j++) {
      const i = rows[j];
      if (!Number.isInteger(i) || i < 0 || i >= weights.numItems) throw new RangeError(`row ${i} is not in the model`);
      if (i >= this.count) this.addRange(this.count, i + 1);
      else {
        this.index.addPoint(this.vector(i), i); // existing label: hnswlib updates in place (and un-deletes)
        this.removed.delete(i);
      }
    }
  }

  remove(rows: ArrayLike<number>): void {
    for (let j = 0; j < rows.length; j++) {
      const i = rows[j];
      if (i < 0 || i >= this.count || this.removed.has(i)) continue;
      this.index.markDelete(i);
      this.removed.add(i);
    }
  }

  /** Adds rows [from, to) of the current weights, growing the native index when needed. */
  private addRange(from: number, to: number): void {
    if (to > this.capacity) {
      this.capacity = Math.ceil(to * (1 + this.headroom));
      this.index.resizeIndex(this.capacity);
    }
    for (let i = from; i < to; i++) this.index.addPoint(this.vector(i), i);
    this.count = Math.max(this.count, to);
  }

  private vector(i: number): number[] {
    const v = augmentedRow(this.weights, i);
    if (this.space === 'l2-mips') {
      const slack = this.maxNorm2 - rowNorm2(this.weights, i);
      if (slack < 0) this.normOverflows++;
      v.push(Math.sqrt(Math.max(0, slack)));
    }
    return v;
  }

  private rescore(q: ArrayLike<number>, labels: number[], exclude?: { has(item: number): boolean }): ScoredItem[] {
    const { itemEmb, itemBias } = this.weights;
    const d = this.dim;
    const out: ScoredItem[] = [];
    for (const item of labels) {
      if (exclude?.has(item)) continue;
      let s = itemBias[item];
      for (let k = 0; k < d; k++) s += itemEmb[item * d + k] * q[k];
      out.push({ item, score: s });
    }
    return out.sort((a, b) => b.score - a.score || a.item - b.item);
  }
}

/** ‖[E_i, b_i]‖² */
function rowNorm2(w: ModelWeights, i: number): number {
  let s = w.itemBias[i] * w.itemBias[i];
  for (let k = 0, off = i * w.dim; k < w.dim; k++) s += w.itemEmb[off + k] * w.itemEmb[off + k];
  return s;
}
