export { augmentedQuery, augmentedRow, measureRecall, type AnnIndex, type ExactSearch } from './ann-index.js';
export { HnswAnnIndex, hnswlibPath, preloadHnswlib, type HnswFileMeta, type HnswLoadOptions, type HnswOptions } from './hnsw-ann-index.js';
export { copyIndexRows, hnswLayout, mipsBound, mipsSlack, rowNorm2, writeMipsSlack, type HnswLayout, type HnswSpace } from './index-rows.js';
export { diffFingerprints, fingerprintIndexRows, fingerprintRows, rowFingerprint } from './row-fingerprint.js';
