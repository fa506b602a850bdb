import type { RecommenderModel } from '@edgerec/services/model';

/** Row-wise Adagrad state of the shared parameters (item rows and the adapter's A, B, α). */
export interface OptimizerState {
  itemAccum: Float32Array;
  adapterAccum: Float64Array;
}

/**
 * The model's optimizer accumulators, by reference. RecommenderModel keeps them private
 * (nothing else needs them), but an edge checkpoint must persist them: without them a
 * restart would reset every Adagrad step size and events replayed after a crash would not
 * reproduce the state they produced before it. TypeScript allows this element access to
 * `private` members; it is confined to this file. When the model exposes
 * `getOptimizerState/setOptimizerState`, switch to it here.
 *
 * @example
 * optimizerStateOf(model).itemAccum[42]; // accumulated squared gradient of row 42
 */
export function optimizerStateOf(model: RecommenderModel): OptimizerState {
  const itemAccum = model['itemAccum'];
  const adapterAccum = model['adapterAccum'];
  if (!(itemAccum instanceof Float32Array) || !(adapterAccum instanceof Float64Array)) {
    throw new Error('RecommenderModel no longer has itemAccum/adapterAccum; update model-state-access.ts');
  }
  return { itemAccum, adapterAccum };
}
