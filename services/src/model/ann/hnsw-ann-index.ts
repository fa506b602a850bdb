import { createRequire } from 'node:module';
import type { HierarchicalNSW } from 'hnswlib-node';
import type { ScoredItem } from '../top-k.js';
import type { ModelWeights } from '../weights.js';
import { augmentedQuery, augmentedRow, type AnnIndex } from './ann-index.js';
import { hnswLayout, mipsBound, mipsSlack, rowNorm2, type HnswSpace } from './index-rows.js';

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
  space?: HnswSpace;
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
      hnswModule = createRequire(import.meta.url)(hnswlibPath()) as HnswModule;
    } catch (e) {
      throw new Error(`hnswlib-node is not installed or its native addon is not built: ${(e as Error).message}`);
    }
  }
  return hnswModule;
}

/**
 * Loads the native addon now (a one-time ~5 ms dlopen) rather than inside the first load
 * or build that needs it; throws when it is missing.
 *
 * @example
 * preloadHnswlib(); // before timing HnswAnnIndex.fromFile
 */
export function preloadHnswlib(): void {
  loadHnsw();
}

/**
 * Where hnswlib-node resolves from here: a worker thread (which cannot import this
 * TypeScript module) requires the addon by this path and builds the same index.
 *
 * @example
 * new Worker(src, { eval: true, workerData: { hnsw: hnswlibPath() } });
 */
export function hnswlibPath(): string {
  return createRequire(import.meta.url).resolve('hnswlib-node');
}

/**
 * What a saved index needs beside hnswlib's file (which holds only the graph and the
 * vectors) to be searched and updated again: the reduction, its norm bound and the rows.
 */
export interface HnswFileMeta {
  space: HnswSpace;
  /** embedding dim of the model (not the native vector length) */
  dim: number;
  /** rows 0 … count−1 are indexed, labelled by row number */
  count: number;
  /** M² of the l2-mips reduction (0 for ip) */
  maxNorm2: number;
  /** rows taken out with `remove` */
  removed?: number[];
}

/** Options of an index read back from a file (the graph parameters are in the file). */
export type HnswLoadOptions = Pick<HnswOptions, 'efSearch' | 'headroom'>;

interface IndexState {
  space: HnswSpace;
  efSearch: number;
  headroom: number;
  capacity: number;
  count: number;
  maxNorm2: number;
  removed?: readonly number[];
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
  readonly space: HnswSpace;
  /** search-time candidate list (hnswlib ef); may be changed between searches */
  efSearch: number;
  private readonly headroom: number;
  /** M² of the l2-mips reduction */
  private readonly maxNorm2: number;
  private capacity: number;
  private count: number;
  private readonly removed: Set<number>;

  private constructor(
    private weights: ModelWeights,
    private readonly index: HierarchicalNSW,
    state: IndexState,
  ) {
    this.dim = weights.dim;
    this.space = state.space;
    this.efSearch = state.efSearch;
    this.headroom = state.headroom;
    this.capacity = state.capacity;
    this.count = state.count;
    this.maxNorm2 = state.maxNorm2;
    this.removed = new Set(state.removed);
  }

  /** An index over every row of `weights`. */
  static build(weights: ModelWeights, opts: HnswOptions = {}): HnswAnnIndex {
    const space = opts.space ?? 'l2-mips';
    const headroom = opts.headroom ?? 0.1;
    const capacity = Math.max(1, Math.ceil(weights.numItems * (1 + headroom)));
    const native = HnswAnnIndex.native(space, weights.dim);
    native.initIndex({ maxElements: capacity, m: opts.m ?? 16, efConstruction: opts.efConstruction ?? 100, randomSeed: opts.seed ?? 100 });
    let maxNorm2 = 0;
    if (space === 'l2-mips') {
      for (let i = 0; i < weights.numItems; i++) maxNorm2 = Math.max(maxNorm2, rowNorm2(weights, i));
      maxNorm2 = mipsBound(maxNorm2, opts.normHeadroom);
    }
    const index = new HnswAnnIndex(weights, native, { space, efSearch: opts.efSearch ?? 64, headroom, capacity, count: 0, maxNorm2 });
    index.addRange(0, weights.numItems);
    return index;
  }

  /**
   * Reads an index written by `save` (or built elsewhere in the same layout, e.g. in a
   * worker thread from `copyIndexRows`). hnswlib reads the file on a libuv pool thread, so
   * the event loop is not blocked by the load. `weights` are what `search` re-scores
   * against and `update` reads; they need not be the weights the file was built from.
   *
   * @example
   * const meta = index.save('/tmp/items.hnsw');
   * const again = await HnswAnnIndex.fromFile('/tmp/items.hnsw', model.weights, meta, { efSearch: 256 });
   */
  static async fromFile(path: string, weights: ModelWeights, meta: HnswFileMeta, opts: HnswLoadOptions = {}): Promise<HnswAnnIndex> {
    const native = HnswAnnIndex.native(meta.space, HnswAnnIndex.checkMeta(weights, meta));
    await native.readIndex(path);
    return HnswAnnIndex.restored(weights, native, meta, opts);
  }

  /** `fromFile` on the calling thread (blocks it for the whole read: ~ the file size at disk/page-cache speed). */
  static fromFileSync(path: string, weights: ModelWeights, meta: HnswFileMeta, opts: HnswLoadOptions = {}): HnswAnnIndex {
    const native = HnswAnnIndex.native(meta.space, HnswAnnIndex.checkMeta(weights, meta));
    native.readIndexSync(path);
    return HnswAnnIndex.restored(weights, native, meta, opts);
  }

  /** Writes the index to `path` (hnswlib's format) and returns what `fromFile` needs with it. */
  save(path: string): HnswFileMeta {
    this.index.writeIndexSync(path);
    return { space: this.space, dim: this.dim, count: this.count, maxNorm2: this.maxNorm2, removed: [...this.removed] };
  }

  /** Rows 0 … indexedRows−1 are in the index (removed ones included): rows past it are unknown to it. */
  get indexedRows(): number {
    return this.count;
  }

  get size(): number {
    return this.count - this.removed.size;
  }

  search(q: ArrayLike<number>, k: number, exclude?: { has(item: number): boolean }): ScoredItem[] {
    return this.rescore(q, this.candidates(q, k, exclude)).slice(0, k);
  }

  /**
   * Labels of (about) the `n` rows nearest to `q` by the index's own vectors, none in
   * `exclude`, nearest first and not re-scored: for a caller that scores them against
   * newer weights than the index holds.
   *
   * @example
   * const rows = index.candidates(q, 4 * k, seen); // then score rows with the current model
   */
  candidates(q: ArrayLike<number>, n: number, exclude?: { has(item: number): boolean }): number[] {
    const size = this.size;
    if (n <= 0 || size === 0) return [];
    const query = augmentedQuery(q, this.dim);
    if (this.space === 'l2-mips') query.push(0);
    // Over-fetch by the exclusion count when it is known; a filter callback (one native→JS call per candidate) only when that falls short.
    const extra = exclude ? ((exclude as { size?: number }).size ?? n) : 0;
    const fetch = Math.min(size, n + extra);
    this.index.setEf(Math.max(this.efSearch, fetch));
    let found = this.index.searchKnn(query, fetch).neighbors;
    if (exclude) found = found.filter((label) => !exclude.has(label));
    if (found.length < Math.min(n, size) && exclude && fetch < size) {
      const keep = (label: number) => !exclude.has(label);
      found = this.index.searchKnn(query, Math.min(n, size), keep).neighbors;
    }
    return found;
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
      const n2 = rowNorm2(this.weights, i);
      if (n2 > this.maxNorm2) this.normOverflows++;
      v.push(mipsSlack(this.maxNorm2, n2));
    }
    return v;
  }

  private rescore(q: ArrayLike<number>, labels: number[]): ScoredItem[] {
    const { itemEmb, itemBias } = this.weights;
    const d = this.dim;
    const out: ScoredItem[] = [];
    for (const item of labels) {
      let s = itemBias[item];
      for (let k = 0; k < d; k++) s += itemEmb[item * d + k] * q[k];
      out.push({ item, score: s });
    }
    return out.sort((a, b) => b.score - a.score || a.item - b.item);
  }

  private static native(space: HnswSpace, dim: number): HierarchicalNSW {
    const { HierarchicalNSW: Hnsw } = loadHnsw();
    const { metric, stride } = hnswLayout(space, dim);
    return new Hnsw(metric, stride);
  }

  private static checkMeta(weights: ModelWeights, meta: HnswFileMeta): number {
    if (meta.dim !== weights.dim) throw new Error(`index dim ${meta.dim} ≠ weights dim ${weights.dim}`);
    if (meta.count > weights.numItems) throw new RangeError(`index has ${meta.count} rows, weights ${weights.numItems}`);
    return meta.dim;
  }

  private static restored(weights: ModelWeights, native: HierarchicalNSW, meta: HnswFileMeta, opts: HnswLoadOptions): HnswAnnIndex {
    // a file of another index (or a meta of another file) passes hnswlib's own structure check: refuse it here
    if (native.getCurrentCount() !== meta.count) throw new RangeError(`index file holds ${native.getCurrentCount()} rows, its meta says ${meta.count}`);
    return new HnswAnnIndex(weights, native, {
      space: meta.space, efSearch: opts.efSearch ?? 64, headroom: opts.headroom ?? 0.1, capacity: native.getMaxElements(),
      count: meta.count, maxNorm2: meta.maxNorm2, removed: meta.removed,
    });
  }
}
