import { z } from 'zod';
import { DomainError } from '@edgerec/proto-schemas';
import type { AggregationStrategy } from './aggregation-strategy.js';
import { createFedAvg, FedAvgParams } from './fed-avg.js';
import { createFedAvgM, FedAvgMParams } from './fed-avg-m.js';
import { createFedAdam, FedAdamParams } from './fed-adam.js';
import { createCoordinateMedian, MedianParams } from './coordinate-median.js';
import { createTrimmedMean, TrimmedMeanParams } from './trimmed-mean.js';
import { createKrum, KrumParams } from './krum.js';
import { withClipping } from './norm-clipping.js';
import { withGaussianDp } from './dp-gaussian.js';
import { CountCap } from './count-cap.js';

const Common = {
  /** L2 bound per client delta, or `{ medianFactor }` for an adaptive one */
  clipNorm: z.union([z.number().positive(), z.object({ medianFactor: z.number().positive() })]).optional(),
  dp: z.object({ clip: z.number().positive(), noiseMultiplier: z.number().min(0) }).optional(),
  /**
   * robust weighting of the client-claimed row counts (count-weighted strategies; median and
   * trimmed mean ignore counts): default `{ maxNodeShare: 0.5, medianFactor: 2, minNodes: 3 }`,
   * `false` = raw counts
   */
  countCap: CountCap,
};

const ROBUST = new Set(['median', 'trimmed-mean', 'krum']);

/**
 * Serializable strategy choice, e.g. from a round policy or the admin API.
 *
 * @example
 * StrategySpec.parse({ name: 'fedadam', params: { serverLr: 0.01 }, clipNorm: { medianFactor: 2 } });
 */
export const StrategySpec = z
  .discriminatedUnion('name', [
    z.object({ name: z.literal('fedavg'), params: FedAvgParams.prefault({}), ...Common }),
    z.object({ name: z.literal('fedavgm'), params: FedAvgMParams.prefault({}), ...Common }),
    z.object({ name: z.literal('fedadam'), params: FedAdamParams.prefault({}), ...Common }),
    z.object({ name: z.literal('fedyogi'), params: FedAdamParams.prefault({}), ...Common }),
    z.object({ name: z.literal('median'), params: MedianParams.prefault({}), ...Common }),
    z.object({ name: z.literal('trimmed-mean'), params: TrimmedMeanParams.prefault({}), ...Common }),
    z.object({ name: z.literal('krum'), params: KrumParams.prefault({}), ...Common }),
  ])
  .refine((s) => !(s.dp && ROBUST.has(s.name)), {
    message: 'dp averages before the strategy runs, so it cannot be combined with a robust strategy',
    path: ['dp'],
  });
export type StrategySpec = z.infer<typeof StrategySpec>;
export type StrategySpecInput = z.input<typeof StrategySpec>;

export interface StrategyDeps {
  /** uniform [0,1) source for DP noise; required when `dp` is set */
  rng?: () => number;
}

/**
 * Builds a strategy from a spec: the named rule, wrapped in norm clipping (`clipNorm`) and
 * then Gaussian DP (`dp`). Throws DomainError('bad_strategy_spec', 400) on an invalid spec.
 *
 * @example
 * const s = createStrategy({ name: 'trimmed-mean', params: { beta: 0.2 }, clipNorm: 1 });
 * const dp = createStrategy({ name: 'fedavg', dp: { clip: 0.5, noiseMultiplier: 1 } }, { rng });
 */
export function createStrategy(spec: unknown, deps: StrategyDeps = {}): AggregationStrategy {
  const r = StrategySpec.safeParse(spec);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new DomainError('bad_strategy_spec', 400, `strategy spec: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim());
  }
  const s = r.data;
  let strategy = build(s);
  if (s.dp) {
    if (!deps.rng) throw new DomainError('bad_strategy_spec', 400, 'strategy spec: dp needs an rng dependency');
    strategy = withGaussianDp(strategy, { ...s.dp, rng: deps.rng });
  }
  // Clipping wraps DP (not the reverse): client deltas are clipped before they are summed.
  if (s.clipNorm !== undefined) strategy = withClipping(strategy, s.clipNorm);
  return strategy;
}

function build(s: StrategySpec): AggregationStrategy {
  switch (s.name) {
    case 'fedavg': return createFedAvg({ ...s.params, countCap: s.countCap });
    case 'fedavgm': return createFedAvgM({ ...s.params, countCap: s.countCap });
    case 'fedadam': return createFedAdam({ ...s.params, variant: 'adam', countCap: s.countCap });
    case 'fedyogi': return createFedAdam({ ...s.params, variant: 'yogi', countCap: s.countCap });
    case 'median': return createCoordinateMedian(s.params);
    case 'trimmed-mean': return createTrimmedMean(s.params);
    case 'krum': return createKrum({ ...s.params, countCap: s.countCap });
  }
}
