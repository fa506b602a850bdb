export { startHnswBuild, type HnswBuildJob, type HnswBuildResult, type HnswBuildTask, type IndexFileSum } from './ann-build-worker.js';
export { ANN_DEFAULTS, resolveAnnOptions, type AnnOptions, type ResolvedAnnOptions } from './ann-options.js';
export {
  AnnServing, type AnnBuildReport, type AnnModelSource, type AnnObserver, type AnnRestoreReport, type AnnServingDeps, type AnnStatus,
} from './ann-serving.js';
export { createEdgeAnn, type EdgeAnnOptions } from './edge-ann.js';
export { snapshotIndexRows, type IndexSnapshot, type SnapshotOptions } from './index-snapshot.js';
export { decodeKeptMeta, encodeKeptMeta, KeptIndexHeader, type KeptIndexMeta } from './kept-index-file.js';
export {
  keptIndexMismatch, restoreKeptIndex, type KeptIndexShape, type RestoredIndex, type RestoreOptions, type RestoreTimings,
} from './kept-index-restore.js';
export { KeptIndexStore, type KeptIndex, type KeptIndexBuild } from './kept-index-store.js';
export {
  buildIndexOffThread, sweepStaleBuildFiles, type IndexBuildTimings, type OffThreadBuild, type OffThreadBuildOptions,
} from './off-thread-build.js';
export { rerankTopK, type RerankCandidates } from './rerank-top-k.js';
export { RowChangeLog } from './row-change-log.js';
