export {
  validateUpdates, updateNorms, parseParams,
  type AggregationStrategy, type ClientUpdate, type AggregateResult, type AggregateStats,
} from './aggregation-strategy.js';
export { deltaNorm, scaleDelta, median } from './delta-norms.js';
export { weightedMeanDelta, applyMeanDelta, type MeanDelta } from './weighted-mean.js';
export { CountCap, CountCapParams, capNodeWeights, parseCountCap, type CountCapInput } from './count-cap.js';
export { cappedWeights, type CappedWeights } from './capped-weights.js';
export { createFedAvg, FedAvgParams } from './fed-avg.js';
export { createFedAvgM, FedAvgMParams, FedAvgMState } from './fed-avg-m.js';
export { createFedAdam, FedAdamParams, FedAdamState } from './fed-adam.js';
export { createCoordinateMedian, medianOf, MedianParams } from './coordinate-median.js';
export { createTrimmedMean, trimCount, TrimmedMeanParams } from './trimmed-mean.js';
export { reduceCoordinatewise, flagOutliers, type CoordinateReducer } from './coordinate-reduce.js';
export { createKrum, krumSelect, KrumParams } from './krum.js';
export { withClipping, clipUpdates, type ClipBound } from './norm-clipping.js';
export { withGaussianDp, type GaussianDpOptions } from './dp-gaussian.js';
export { rdpEpsilon, rdpEpsilonDetail, sampledGaussianRdp, DEFAULT_RDP_ORDERS } from './rdp-accountant.js';
export { createStrategy, StrategySpec, type StrategySpecInput, type StrategyDeps } from './strategy-registry.js';
export { mulberry32, gaussian } from '../common/seeded-rng.js';
export { deltaOf, type DeltaSpec } from './delta-builder.js';
export { syntheticDelta, sampleSortedRows, type SyntheticDeltaOptions } from './synthetic-delta.js';
