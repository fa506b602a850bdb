import { adapterRankOf, createWeights, type ModelWeights } from '../weights.js';
import { SimdScorer } from './simd-scorer.js';
import { wasmSimdSupported } from './simd-support.js';

export interface AllocateOptions {
  /** false forces plain JS arrays (the fallback path); default: wasm when SIMD is supported */
  simd?: boolean;
}

/**
 * Zeroed weights whose `itemEmb`, `itemBias` and `adapter` are views on a fresh wasm memory,
 * so both the scorer's and the learner's kernels (learn-workspace.ts) work on them in place. Falls back to `createWeights` when wasm SIMD is
 * unavailable, `opts.simd` is false or the table is too large for wasm32.
 *
 * @example
 * const w = allocateWeights(50_000, 64, 4);
 * simdScorerOf(w) !== null; // true where wasm SIMD runs
 */
export function allocateWeights(numItems: number, dim: number, rank = 0, opts: AllocateOptions = {}): ModelWeights {
  if (opts.simd === false || !wasmSimdSupported()) return createWeights(numItems, dim, rank);
  let s: SimdScorer;
  try {
    s = SimdScorer.create(numItems, dim, rank);
  } catch {
    return createWeights(numItems, dim, rank); // too large for wasm32 or no memory reservation: the JS loop still works
  }
  return { numItems, dim, itemEmb: s.itemEmb, itemBias: s.itemBias, adapter: s.learner.adapter };
}

/**
 * A copy of `w` in wasm-backed weights (a plain clone where SIMD is unavailable). Used
 * when a model is created or swapped in, so serving takes the SIMD path.
 *
 * @example
 * model.setWeights(toWasmWeights(received));
 */
export function toWasmWeights(w: ModelWeights, opts: AllocateOptions = {}): ModelWeights {
  const rank = adapterRankOf(w);
  const out = allocateWeights(w.numItems, w.dim, rank, opts);
  out.itemEmb.set(w.itemEmb);
  out.itemBias.set(w.itemBias);
  out.adapter.set(w.adapter);
  return out;
}
