export { SIMD_MAX_K, SimdScorer, simdScorerOf, markItemRowsWritten } from './simd-scorer.js';
export { allocateWeights, toWasmWeights, type AllocateOptions } from './wasm-weights.js';
export { wasmSimdSupported } from './simd-support.js';
export {
  candidateCount, DEFAULT_MIN_CANDIDATES, DEFAULT_RERANK, int16QueryMax, int8Stride, INT8_ZERO_ROW_MAX,
  quantizeQueryInt16, quantizeRowInt8, type RerankDepth,
} from './int8-quantizer.js';
export { Int8Mirror } from './int8-mirror.js';
