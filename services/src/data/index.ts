/**
 * Data: MovieLens loaders (ml-100k, ml-latest), the synthetic generator, partitioners for
 * federated simulations, the leave-one-out protocol and ranking metrics.
 */
export type { Dataset, Interaction } from './dataset.js';
export { SeededRandom } from './seeded-random.js';
export { LineSplitter, forEachLine, type LineHandler } from './line-splitter.js';
export { buildDataset, type RatingColumns } from './rating-columns.js';
export {
  loadMl100k, ml100kToDataset, parseMl100kData, parseMl100kUsers, zipRegion, type Ml100kUser,
} from './ml100k-loader.js';
export { loadMlLatest, mlLatestToDataset, parseMlLatestRatings, ML_LATEST_HEADER } from './ml-latest-loader.js';
export { loadDataset, DATASET_FORMATS, type DatasetFormat, type LoadDatasetOptions } from './load-dataset.js';
export {
  SyntheticOptions, resolveSyntheticOptions, buildLatentModel, type SyntheticConfig, type SyntheticTruth,
} from './synthetic-model.js';
export { generateSynthetic, generateEventStream, type SyntheticDataset, type SyntheticEvent } from './synthetic.js';
export { sampleWithoutReplacement } from './sample-without-replacement.js';
export {
  partitionByRegion, partitionRandom, partitionByUser, splitToEdges, userShard, type Partition,
} from './partition.js';
export { leaveOneOut, type LeaveOneOutOptions, type LooSplit, type LooTestCase } from './leave-one-out.js';
export { RankingMetrics, hitRate, ndcgAt, rankAmong, type RankingMetricsState } from './metrics.js';
export {
  evaluateLoo, accumulateLoo, ItemPopularityScorer,
  type LooScorer, type EvaluateLooOptions, type LooResult, type LooMetrics,
} from './evaluate.js';
