export { augmentedQuery, augmentedRow, measureRecall, type AnnIndex, type ExactSearch } from './ann-index.js';
export { HnswAnnIndex, type HnswOptions } from './hnsw-ann-index.js';
