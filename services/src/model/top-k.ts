export interface ScoredItem {
  item: number;
  score: number;
}

/**
 * Indices of the `k` largest scores, best first, skipping `exclude`. A size-k min-heap
 * keeps this O(n log k) with no allocation proportional to n.
 *
 * @example
 * selectTopK(new Float32Array([0.1, 0.9, 0.5]), 2); // [{item:1,...},{item:2,...}]
 */
export function selectTopK(scores: ArrayLike<number>, k: number, exclude?: { has(item: number): boolean }): ScoredItem[] {
  const heapItems = new Int32Array(k);
  const heapScores = new Float64Array(k);
  let size = 0;
  const n = scores.length;
  for (let i = 0; i < n; i++) {
    const s = scores[i];
    if (size === k && s <= heapScores[0]) continue;
    if (exclude?.has(i)) continue;
    if (size < k) {
      let c = size++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (heapScores[p] <= s) break;
        heapScores[c] = heapScores[p];
        heapItems[c] = heapItems[p];
        c = p;
      }
      heapScores[c] = s;
      heapItems[c] = i;
    } else {
      siftDownReplace(heapItems, heapScores, size, i, s);
    }
  }
  const out: ScoredItem[] = [];
  for (let j = 0; j < size; j++) out.push({ item: heapItems[j], score: heapScores[j] });
  out.sort((a, b) => b.score - a.score || a.item - b.item);
  return out;
}

function siftDownReplace(items: Int32Array, scores: Float64Array, size: number, item: number, score: number): void {
  let c = 0;
  for (;;) {
    const l = 2 * c + 1;
    if (l >= size) break;
    const r = l + 1;
    const m = r < size && scores[r] < scores[l] ? r : l;
    if (scores[m] >= score) break;
    scores[c] = scores[m];
    items[c] = items[m];
    c = m;
  }
  scores[c] = score;
  items[c] = item;
}
