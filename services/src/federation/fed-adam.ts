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

export const FedAdamParams = z.object({
  /** server step size η: with m/√v ≈ ±1 this is roughly the per-coordinate step */
  serverLr: z.number().positive().max(10).default(0.01),
  beta1: z.number().min(0).max(0.9999).default(0.9),
  beta2: z.number().min(0).max(0.99999).default(0.99),
  /** adaptivity τ: floor of the denominator; smaller = more adaptive */
  tau: z.number().positive().max(1).default(1e-3),
});
export type FedAdamParams = z.infer<typeof FedAdamParams>;

export const FedAdamState = z.object({
  kind: z.enum(['fedadam', 'fedyogi']),
  m: ParamBuffersSchema,
  v: ParamBuffersSchema,
});
export type FedAdamState = z.infer<typeof FedAdamState>;

/**
 * FedAdam and FedYogi (Reddi et al. 2021, "Adaptive Federated Optimization", Alg. 2) on the
 * sparse FedAvg pseudo-gradient Δ:
 *   m ← β1·m + (1−β1)·Δ
 *   v ← β2·v + (1−β2)·Δ²                  (Adam)
 *   v ← v − (1−β2)·Δ²·sign(v − Δ²)        (Yogi: v grows at most additively, so a burst of
 *                                          large updates does not wipe out the step size)
 *   w ← w + η·m / (√v + τ)
 * with v initialised to τ² and no bias correction, as in the paper. Moments are lazy per
 * row (see applyLazily): rows untouched in a round keep value and state. Δ's claimed counts
 * pass the count cap (`countCap`, as in FedAvg).
 *
 * @example
 * const s = createFedAdam({ variant: 'yogi', serverLr: 0.01 });
 * const { weights } = s.aggregate(global, updates);
 */
export function createFedAdam(
  params: z.input<typeof FedAdamParams> & { variant?: 'adam' | 'yogi'; countCap?: CountCapInput } = {},
): AggregationStrategy {
  const { variant = 'adam', countCap, ...rest } = params;
  const cap = parseCountCap(countCap);
  const name = variant === 'yogi' ? 'fedyogi' : 'fedadam';
  const p = parseParams(FedAdamParams, rest, name);
  let m: ParamBuffers | null = null;
  let v: ParamBuffers | null = null;
  const tau2 = p.tau * p.tau;
  return {
    name,
    aggregate(base: ModelWeights, updates: readonly ClientUpdate[]): AggregateResult {
      const norms = validateUpdates(base, updates);
      const mean = weightedMeanDelta(base, updates, cap);
      const m1 = fitBuffers(m, base, 0);
      const m2 = fitBuffers(v, base, tau2);
      const weights = applyLazily(base, mean, (g, part, i) => {
        const mb = m1[part];
        const vb = m2[part];
        mb[i] = p.beta1 * mb[i] + (1 - p.beta1) * g;
        const g2 = g * g;
        vb[i] = variant === 'yogi' ? vb[i] - (1 - p.beta2) * g2 * Math.sign(vb[i] - g2) : p.beta2 * vb[i] + (1 - p.beta2) * g2;
        return (p.serverLr * mb[i]) / (Math.sqrt(vb[i]) + p.tau);
      });
      m = m1;
      v = m2;
      return {
        weights,
        stats: {
          strategy: name, nodes: updates.length, rowsUpdated: mean.rows.length,
          adapterUpdated: mean.adapter !== null, clipped: [], outliers: [], countCut: mean.countCut, updateNorms: updateNorms(updates, norms),
        },
      };
    },
    exportState: (): FedAdamState | null => (m && v ? { kind: name, m: copyBuffers(m), v: copyBuffers(v) } : null),
    importState(state: unknown): void {
      if (state === null) {
        m = v = null;
        return;
      }
      const r = FedAdamState.safeParse(state);
      if (!r.success || r.data.kind !== name) {
        throw new DomainError('bad_strategy_state', 400, `${name} state: ${r.success ? `kind ${r.data.kind}` : r.error.issues[0]?.message}`);
      }
      m = copyBuffers(r.data.m);
      v = copyBuffers(r.data.v);
    },
  };
}
