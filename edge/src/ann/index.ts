export { startHnswBuild, type HnswBuildJob, type HnswBuildResult, type HnswBuildTask } from './ann-build-worker.js';
export { ANN_DEFAULTS, resolveAnnOptions, type AnnOptions, type ResolvedAnnOptions } from './ann-options.js';
export {
  AnnServing, type AnnBuildReport, type AnnModelSource, type AnnObserver, type AnnServingDeps, type AnnStatus,
} from './ann-serving.js';
export { createEdgeAnn, type EdgeAnnOptions } from './edge-ann.js';
export { snapshotIndexRows, type IndexSnapshot, type SnapshotOptions } from './index-snapshot.js';
export { buildIndexOffThread, type IndexBuildTimings, type OffThreadBuildOptions } from './off-thread-build.js';
export { rerankTopK, type RerankCandidates } from './rerank-top-k.js';
export { RowChangeLog } from './row-change-log.js';
