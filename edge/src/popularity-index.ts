import { selectTopK } from '@edgerec/services/model';
import { resized } from '@edgerec/services/common';

/**
 * Local item popularity (sum of event weights per item on this edge), the cold-start
 * ranking and the pool exploration draws from. Ties — including "no events yet" — are
 * broken by the global item bias, which is what the global model knows about popularity.
 * The head of the ranking is cached and rebuilt at most every `maxAgeMs` while counts keep
 * changing, so steady ingest does not cost an O(n log k) pass per request.
 *
 * @example
 * const pop = new PopularityIndex(1000, () => model.weights.itemBias, Date.now);
 * pop.add(42, 2);
 * pop.top(10, new Set([7])); // best items, skipping item 7
 */
export class PopularityIndex {
  private counts: Float64Array;
  private ranking: number[] | null = null;
  private dirty = true;
  private builtAt = -Infinity;

  constructor(
    numItems: number,
    private readonly bias: () => ArrayLike<number>,
    private readonly clock: () => number,
    /** how many items the cached head holds (cold-start lists and the explore pool) */
    private readonly headSize = 1000,
    private readonly maxAgeMs = 1000,
  ) {
    this.counts = new Float64Array(numItems);
  }

  get numItems(): number {
    return this.counts.length;
  }

  add(item: number, weight: number): void {
    if (item < 0 || item >= this.counts.length) return;
    this.counts[item] += weight;
    this.dirty = true;
  }

  remove(item: number, weight: number): void {
    if (item < 0 || item >= this.counts.length) return;
    this.counts[item] = Math.max(0, this.counts[item] - weight);
    this.dirty = true;
  }

  count(item: number): number {
    return this.counts[item] ?? 0;
  }

  /** Grows to `numItems` (new items start at 0). */
  resize(numItems: number): void {
    if (numItems === this.counts.length) return;
    this.counts = resized(this.counts, numItems);
    this.invalidate();
  }

  /** Forces a rebuild on the next read (e.g. after a model swap changed the biases). */
  invalidate(): void {
    this.ranking = null;
    this.dirty = true;
  }

  /** The `k` most popular items not in `exclude`, best first. */
  top(k: number, exclude?: { has(item: number): boolean }): number[] {
    const head = this.head();
    const out: number[] = [];
    for (let j = 0; j < head.length && out.length < k; j++) if (!exclude?.has(head[j])) out.push(head[j]);
    if (out.length < k && head.length < this.counts.length) {
      // The user has seen most of the cached head: rank the whole catalog for this request.
      return selectTopK(this.keys(), k, exclude).map((s) => s.item);
    }
    return out;
  }

  /** The cached head of the ranking (read-only). */
  head(): readonly number[] {
    const now = this.clock();
    if (!this.ranking || (this.dirty && now - this.builtAt >= this.maxAgeMs)) {
      this.ranking = selectTopK(this.keys(), Math.min(this.headSize, this.counts.length)).map((s) => s.item);
      this.dirty = false;
      this.builtAt = now;
    }
    return this.ranking;
  }

  /** count + a tie-break below 1e-9 from the bias (through a sigmoid, so it stays below any count step). */
  private keys(): Float64Array {
    const n = this.counts.length;
    const bias = this.bias();
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = this.counts[i] + 1e-9 / (1 + Math.exp(-(bias[i] ?? 0)));
    return keys;
  }
}
