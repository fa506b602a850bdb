import { z } from 'zod';
import type { ModelWeights } from '../model/weights.js';
import {
  parseParams, updateNorms, validateUpdates,
  type AggregateResult, type AggregationStrategy, type ClientUpdate,
} from './aggregation-strategy.js';
import { applyMeanDelta, weightedMeanDelta } from './weighted-mean.js';

export const FedAvgParams = z.object({
  /** server learning rate: new = base + serverLr · mean delta */
  serverLr: z.number().positive().max(100).default(1),
});
export type FedAvgParams = z.infer<typeof FedAvgParams>;

/**
 * Sparse FedAvg (McMahan et al. 2017) for embedding tables: every row moves by the average
 * of the deltas of the nodes that touched it, weighted by how often each node trained it
 * (`rowCounts`) times the staleness weight. A row nobody touched keeps its value instead of
 * being pulled toward zero by nodes that never saw it. The adapter is averaged by
 * `adapterCount × weight`.
 *
 * @example
 * const fedAvg = createFedAvg({ serverLr: 1 });
 * const { weights } = fedAvg.aggregate(global, updates);
 */
export function createFedAvg(params: z.input<typeof FedAvgParams> = {}): AggregationStrategy {
  const p = parseParams(FedAvgParams, params, 'fedavg');
  return {
    name: 'fedavg',
    aggregate(base: ModelWeights, updates: readonly ClientUpdate[]): AggregateResult {
      const norms = validateUpdates(base, updates);
      const mean = weightedMeanDelta(base, updates);
      return {
        weights: applyMeanDelta(base, mean, p.serverLr),
        stats: {
          strategy: 'fedavg',
          nodes: updates.length,
          rowsUpdated: mean.rows.length,
          adapterUpdated: mean.adapter !== null,
          clipped: [],
          outliers: [],
          updateNorms: updateNorms(updates, norms),
        },
      };
    },
    exportState: () => null,
    importState: () => {},
  };
}
