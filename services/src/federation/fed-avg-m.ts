import { z } from 'zod';
import { DomainError } from '@edgerec/proto-schemas';
import type { ModelWeights } from '../model/weights.js';
import {
  parseParams, updateNorms, validateUpdates,
  type AggregateResult, type AggregationStrategy, type ClientUpdate,
} from './aggregation-strategy.js';
import { weightedMeanDelta } from './weighted-mean.js';
import { parseCountCap, type CountCapInput } from './count-cap.js';
import { ParamBuffersSchema, applyLazily, copyBuffers, fitBuffers, type ParamBuffers } from './server-optimizer-state.js';

export const FedAvgMParams = z.object({
  serverLr: z.number().positive().max(100).default(1),
  /** server momentum β */
  momentum: z.number().min(0).max(0.999).default(0.9),
});
export type FedAvgMParams = z.infer<typeof FedAvgMParams>;

export const FedAvgMState = z.object({ kind: z.literal('fedavgm'), m: ParamBuffersSchema });
export type FedAvgMState = z.infer<typeof FedAvgMState>;

/**
 * FedAvgM (Hsu et al. 2019): server momentum on the FedAvg pseudo-gradient,
 * m ← β·m + Δ, w ← w + lr·m, where Δ is the sparse weighted mean delta. Momentum is lazy
 * per row (see applyLazily): a row moves only in rounds where some node touched it. Δ's
 * claimed counts pass the count cap (`countCap`, as in FedAvg).
 *
 * @example
 * const s = createFedAvgM({ momentum: 0.9 });
 * s.aggregate(w, round1); s.aggregate(w1, round2); // second step includes β × the first
 * saveToDb(s.exportState());
 */
export function createFedAvgM(params: z.input<typeof FedAvgMParams> & { countCap?: CountCapInput } = {}): AggregationStrategy {
  const p = parseParams(FedAvgMParams, params, 'fedavgm');
  const cap = parseCountCap(params.countCap);
  let m: ParamBuffers | null = null;
  return {
    name: 'fedavgm',
    aggregate(base: ModelWeights, updates: readonly ClientUpdate[]): AggregateResult {
      const norms = validateUpdates(base, updates);
      const mean = weightedMeanDelta(base, updates, cap);
      const mom = fitBuffers(m, base);
      const weights = applyLazily(base, mean, (g, part, i) => {
        const buf = mom[part];
        buf[i] = p.momentum * buf[i] + g;
        return p.serverLr * buf[i];
      });
      m = mom;
      return {
        weights,
        stats: {
          strategy: 'fedavgm', nodes: updates.length, rowsUpdated: mean.rows.length,
          adapterUpdated: mean.adapter !== null, clipped: [], outliers: [], countCut: mean.countCut, updateNorms: updateNorms(updates, norms),
        },
      };
    },
    exportState: (): FedAvgMState | null => (m ? { kind: 'fedavgm', m: copyBuffers(m) } : null),
    importState(state: unknown): void {
      if (state === null) {
        m = null;
        return;
      }
      const r = FedAvgMState.safeParse(state);
      if (!r.success) throw new DomainError('bad_strategy_state', 400, `fedavgm state: ${r.error.issues[0]?.message}`);
      m = copyBuffers(r.data.m);
    },
  };
}
