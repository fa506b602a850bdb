import type { ScoredItem } from '@edgerec/services/model';

/** The rows one ANN query scores with the live weights. */
export interface RerankCandidates {
  /** labels the index returned (distinct) */
  fromIndex: readonly number[];
  /** rows changed since the index was built (distinct; any may also be in `fromIndex`) */
  changed: readonly number[];
  /** rows [indexedRows, numItems) are newer than the index: all are scored */
  indexedRows: number;
  numItems: number;
}

/**
 * Top-k, best first (ties by item, like selectTopK), over the union of the candidate rows,
 * each scored by `score` (the current f32 weights), skipping `exclude`. Whatever the index
 * returned from stale vectors, the order and the scores come from the live model; rows the
 * index cannot know about (changed since its build, or added after it) compete too.
 *
 * @example
 * const q = model.userQuery(user);
 * rerankTopK({ fromIndex: index.candidates(q, 40, seen), changed, indexedRows, numItems }, 10, (i) => model.scoreWithQuery(q, i), seen);
 */
export function rerankTopK(c: RerankCandidates, k: number, score: (item: number) => number, exclude?: { has(item: number): boolean }): ScoredItem[] {
  if (k <= 0) return [];
  const top = new TopK(k);
  const inIndex = new Set(c.fromIndex);
  for (const i of c.fromIndex) if (!exclude?.has(i)) top.offer(i, score(i));
  for (const i of c.changed) {
    // rows past the index are scored by the range below; listed index rows once only
    if (i >= c.indexedRows || inIndex.has(i) || exclude?.has(i)) continue;
    top.offer(i, score(i));
  }
  for (let i = c.indexedRows; i < c.numItems; i++) if (!exclude?.has(i)) top.offer(i, score(i));
  return top.result();
}

/** Best k by (score desc, item asc), kept sorted: candidates are few or mostly rejected by the k-th score. */
class TopK {
  private readonly items: number[] = [];
  private readonly scores: number[] = [];

  constructor(private readonly k: number) {}

  offer(item: number, score: number): void {
    const n = this.items.length;
    if (n === this.k && !better(score, item, this.scores[n - 1], this.items[n - 1])) return;
    let j = n === this.k ? n - 1 : n;
    while (j > 0 && better(score, item, this.scores[j - 1], this.items[j - 1])) {
      this.scores[j] = this.scores[j - 1];
      this.items[j] = this.items[j - 1];
      j--;
    }
    this.scores[j] = score;
    this.items[j] = item;
  }

  result(): ScoredItem[] {
    return this.items.map((item, j) => ({ item, score: this.scores[j] }));
  }
}

const better = (s: number, i: number, t: number, j: number) => s > t || (s === t && i < j);
