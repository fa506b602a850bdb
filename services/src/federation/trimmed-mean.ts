import { z } from 'zod';
import type { ModelWeights } from '../model/weights.js';
import { parseParams, validateUpdates, type AggregationStrategy, type ClientUpdate } from './aggregation-strategy.js';
import { reduceCoordinatewise } from './coordinate-reduce.js';

export const TrimmedMeanParams = z.object({
  /** fraction β trimmed from each side, per coordinate */
  beta: z.number().min(0).lt(0.5).default(0.1),
  serverLr: z.number().positive().max(100).default(1),
  /** rows touched by fewer nodes stay unchanged (see MedianParams.minNodes) */
  minNodes: z.number().int().min(1).default(1),
  outlierFactor: z.number().positive().default(3),
});
export type TrimmedMeanParams = z.infer<typeof TrimmedMeanParams>;

/**
 * How many values to drop from each side when `n` nodes touched a row:
 * t = min(⌈β·n⌉, ⌊(n−1)/2⌋). Rounding up means that any β > 0 trims at least one value per
 * side as soon as n ≥ 3 — with 3–9 nodes on a row, ⌊β·n⌋ would be 0 and a single scaled
 * update would pass straight through. The cap keeps at least one value (n = 1: the value
 * itself; n = 2: their mean, as nothing can be trimmed symmetrically).
 *
 * @example
 * trimCount(10, 0.1); // 1
 * trimCount(3, 0.1);  // 1 → the median
 * trimCount(2, 0.1);  // 0 → the mean
 */
export function trimCount(n: number, beta: number): number {
  return Math.max(0, Math.min(Math.ceil(beta * n), Math.floor((n - 1) / 2)));
}

/**
 * Coordinate-wise β-trimmed mean (Yin et al. 2018) per row over the nodes that touched it.
 *
 * @example
 * const s = createTrimmedMean({ beta: 0.2 });
 * const { weights } = s.aggregate(global, updates);
 */
export function createTrimmedMean(params: z.input<typeof TrimmedMeanParams> = {}): AggregationStrategy {
  const p = parseParams(TrimmedMeanParams, params, 'trimmed-mean');
  const reduce = (v: Float64Array, n: number): number => {
    const t = trimCount(n, p.beta);
    const s = v.subarray(0, n).sort();
    let sum = 0;
    for (let i = t; i < n - t; i++) sum += s[i];
    return sum / (n - 2 * t);
  };
  return {
    name: 'trimmed-mean',
    aggregate(base: ModelWeights, updates: readonly ClientUpdate[]) {
      const norms = validateUpdates(base, updates);
      return reduceCoordinatewise(base, updates, reduce, { strategy: 'trimmed-mean', norms, ...p });
    },
    exportState: () => null,
    importState: () => {},
  };
}
