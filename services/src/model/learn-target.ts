import type { OptimizerState } from './adagrad-steps.js';
import type { ModelConfig } from './model-config.js';
import type { RowTracker } from './row-tracker.js';
import type { UserState } from './user-state.js';
import type { ModelWeights } from './weights.js';

/** What a learning step reads and writes of its model (RecommenderModel is one). */
export interface LearnTarget {
  readonly config: ModelConfig;
  readonly weights: ModelWeights;
  /** last global model for the proximal pull (FedProx μ); null = none */
  readonly anchor: ModelWeights | null;
  readonly tracker: RowTracker;
  /** the Adagrad accumulators (one object for the model's life; `itemAccum` is swapped on a resize) */
  readonly optimizer: OptimizerState;
}

/**
 * One positive example with its negatives already drawn (`negs[0..nn)`); `w` is the event
 * weight. Both steps (JS loop, wasm kernel) take the same input and leave the same result.
 */
export interface StepInput {
  user: UserState;
  history: ArrayLike<number>;
  pos: number;
  w: number;
  negs: Int32Array;
  nn: number;
}

/** Rows written by a step are reported here (the int8 mirror re-quantizes them); null = plain weights. */
export interface RowSink {
  markRowDirty(row: number): void;
}
