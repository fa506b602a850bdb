export * from './weights.js';
export * from './model-config.js';
export * from './user-state.js';
export * from './recommender-model.js';
export * from './row-tracker.js';
export * from './top-k.js';
export * from './centralized-trainer.js';
export { markItemRowsWritten } from './simd/index.js';
