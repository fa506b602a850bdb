export { SIMD_MAX_K, SimdScorer, simdScorerOf } from './simd-scorer.js';
export { allocateWeights, toWasmWeights, type AllocateOptions } from './wasm-weights.js';
export { wasmSimdSupported } from './simd-support.js';
