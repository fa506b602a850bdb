import type { OptimizerState, RecommenderModel } from '@edgerec/services/model';

export type { OptimizerState };

/**
 * The model's optimizer accumulators, by reference (see `RecommenderModel.optimizerState`).
 *
 * @example
 * optimizerStateOf(model).itemAccum[42]; // accumulated squared gradient of row 42
 */
export const optimizerStateOf = (model: RecommenderModel): OptimizerState => model.optimizerState();
