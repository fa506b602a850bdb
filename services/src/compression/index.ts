export { quantizeInt8Rows, dequantizeInt8Rows, int8Scale, rowScales, type Int8Rows, type QuantizeOptions } from './int8-codec.js';
export { scaleCodeFor, scaleFromCode, scaleCodes, scalesFromCodes } from './scale-code.js';
export { topKRows, densifyTopK, kFor, type TopKRows, type TopKSpec } from './topk-sparsify.js';
export { encodeRice, decodeRice } from './rice-coding.js';
export { validateDelta, validateDeltaCounts, sortedByRow, type CountBounds } from './delta-validation.js';
export {
  encodeDelta, decodeDelta, denseBytes, DeltaCodec, DeltaEnvelope,
  type DeltaCodecOptions, type DecodeDeltaOptions,
} from './delta-codec.js';
export { applyErrorFeedback, emptyResidual, type ResidualState, type ErrorFeedbackResult } from './error-feedback.js';
export {
  splitChunks, sha256Hex, ChunkAssembler, DEFAULT_CHUNK_BYTES,
  type Chunk, type ChunkResult, type ChunkAssemblerOptions,
} from './chunking.js';
export {
  encodeSnapshot, decodeSnapshot, encodePatch, decodePatch, applyPatch,
  SnapshotEnvelope, PatchEnvelope, type ModelPatch,
} from './model-patch.js';
