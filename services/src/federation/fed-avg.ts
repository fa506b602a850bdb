import { z } from 'zod';
import type { ModelWeights } from '../model/weights.js';
import {
  parseParams, updateNorms, validateUpdates,
  type AggregateResult, type AggregationStrategy, type ClientUpdate,
} from './aggregation-strategy.js';
import { applyMeanDelta, weightedMeanDelta } from './weighted-mean.js';
import { parseCountCap, type CountCapInput } from './count-cap.js';

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
 * `adapterCount × weight`. The claimed counts pass the count cap first (`countCap`, default
 * on; `false` = raw counts), so no node can buy a row's mean by inflating its counts.
 *
 * @example
 * const fedAvg = createFedAvg({ serverLr: 1 });
 * const { weights } = fedAvg.aggregate(global, updates);
 */
export function createFedAvg(params: z.input<typeof FedAvgParams> & { countCap?: CountCapInput } = {}): AggregationStrategy {
  const p = parseParams(FedAvgParams, params, 'fedavg');
  const cap = parseCountCap(params.countCap);
  return {
    name: 'fedavg',
    aggregate(base: ModelWeights, updates: readonly ClientUpdate[]): AggregateResult {
      const norms = validateUpdates(base, updates);
      const mean = weightedMeanDelta(base, updates, cap);
      return {
        weights: applyMeanDelta(base, mean, p.serverLr),
        stats: {
          strategy: 'fedavg',
          nodes: updates.length,
          rowsUpdated: mean.rows.length,
          adapterUpdated: mean.adapter !== null,
          clipped: [],
          outliers: [],
          countCut: mean.countCut,
          updateNorms: updateNorms(updates, norms),
        },
      };
    },
    exportState: () => null,
    importState: () => {},
  };
}
