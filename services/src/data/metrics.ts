import { DomainError } from '@edgerec/proto-schemas';

/**
 * 1 if the positive (0-based `rank` among the candidates) is in the top `k`, else 0.
 *
 * @example
 * hitRate(9, 10); // 1
 */
export const hitRate = (rank: number, k: number): number => (rank < k ? 1 : 0);

/**
 * NDCG@k of a single relevant item at 0-based `rank`: 1/log2(rank + 2) inside the top k.
 *
 * @example
 * ndcgAt(2, 10); // 0.5
 */
export const ndcgAt = (rank: number, k: number): number => (rank < k ? 1 / Math.log2(rank + 2) : 0);

/**
 * 0-based rank of `scores[positiveIndex]` among the candidates: the number of other
 * candidates scoring at least as high. Ties count against the positive (pessimistic), so a
 * constant or degenerate scorer cannot look good; a NaN score counts against the positive
 * too. Candidates with `exclude[j] !== 0` are skipped (the positive never is).
 *
 * @example
 * rankAmong([0.9, 0.5, 0.9, 0.1], 1); // 2
 * rankAmong([1, 1, 1], 0);            // 2 (ties are losses)
 */
export function rankAmong(scores: ArrayLike<number>, positiveIndex: number, exclude?: Uint8Array): number {
  const p = scores[positiveIndex];
  let rank = 0;
  for (let j = 0; j < scores.length; j++) {
    if (j === positiveIndex || (exclude !== undefined && exclude[j] !== 0)) continue;
    // `!(s < p)` is true for s ≥ p and for NaN on either side.
    if (!(scores[j] < p)) rank++;
  }
  return rank;
}

/** Mergeable state of `RankingMetrics` (what an edge sends for federated evaluation). */
export interface RankingMetricsState {
  k: number;
  count: number;
  hits: number;
  ndcgSum: number;
}

/**
 * HR@k / NDCG@k accumulator in the update/get/merge style, so per-edge metrics merge into
 * exactly the metrics of the union of their test cases.
 *
 * @example
 * const m = new RankingMetrics(10);
 * m.update(0); m.update(2); m.update(50);
 * m.get(); // { hr: 2/3, ndcg: (1 + 0.5 + 0) / 3, count: 3 }
 */
export class RankingMetrics {
  private count = 0;
  private hits = 0;
  private ndcgSum = 0;

  constructor(readonly k = 10) {
    if (!Number.isInteger(k) || k < 1) throw new DomainError('bad_metric', 400, `k must be a positive integer, got ${k}`);
  }

  /** Adds one test case whose positive has 0-based rank `rankOfPositive`. */
  update(rankOfPositive: number): this {
    this.count++;
    this.hits += hitRate(rankOfPositive, this.k);
    this.ndcgSum += ndcgAt(rankOfPositive, this.k);
    return this;
  }

  /** Means over the test cases seen; 0 (with count 0) when there were none. */
  get(): { hr: number; ndcg: number; count: number } {
    const n = this.count;
    return { hr: n > 0 ? this.hits / n : 0, ndcg: n > 0 ? this.ndcgSum / n : 0, count: n };
  }

  /** Adds another accumulator's cases (same k required). */
  merge(other: RankingMetrics | RankingMetricsState): this {
    const s = other instanceof RankingMetrics ? other.state() : other;
    if (s.k !== this.k) throw new DomainError('bad_metric', 400, `cannot merge metrics @${s.k} into @${this.k}`);
    this.count += s.count;
    this.hits += s.hits;
    this.ndcgSum += s.ndcgSum;
    return this;
  }

  state(): RankingMetricsState {
    return { k: this.k, count: this.count, hits: this.hits, ndcgSum: this.ndcgSum };
  }

  static fromState(s: RankingMetricsState): RankingMetrics {
    return new RankingMetrics(s.k).merge(s);
  }
}
