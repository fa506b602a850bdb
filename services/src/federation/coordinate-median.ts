import { z } from 'zod';
import type { ModelWeights } from '../model/weights.js';
import { parseParams, validateUpdates, type AggregationStrategy, type ClientUpdate } from './aggregation-strategy.js';
import { reduceCoordinatewise } from './coordinate-reduce.js';

export const MedianParams = z.object({
  serverLr: z.number().positive().max(100).default(1),
  /**
   * Rows touched by fewer nodes stay unchanged. With 1 (default) a row only one node touched
   * takes that node's value, which keeps rare items learning but lets that node set them;
   * raise it to make every row need independent agreement.
   */
  minNodes: z.number().int().min(1).default(1),
  outlierFactor: z.number().positive().default(3),
});
export type MedianParams = z.infer<typeof MedianParams>;

/**
 * Coordinate-wise median (Yin et al. 2018) per row over the nodes that touched it (mean of
 * the two middle values for an even count). Tolerates fewer than half of a row's
 * contributors being Byzantine.
 *
 * @example
 * const s = createCoordinateMedian({ minNodes: 3 });
 * const { weights, stats } = s.aggregate(global, updates); // stats.outliers: far-off nodes
 */
export function createCoordinateMedian(params: z.input<typeof MedianParams> = {}): AggregationStrategy {
  const p = parseParams(MedianParams, params, 'median');
  return {
    name: 'median',
    aggregate(base: ModelWeights, updates: readonly ClientUpdate[]) {
      const norms = validateUpdates(base, updates);
      return reduceCoordinatewise(base, updates, medianOf, { strategy: 'median', norms, ...p });
    },
    exportState: () => null,
    importState: () => {},
  };
}

/** Median of v[0..n) (reorders that prefix). */
export function medianOf(v: Float64Array, n: number): number {
  const s = v.subarray(0, n).sort();
  return n % 2 ? s[(n - 1) >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
}
