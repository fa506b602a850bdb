import type * as Tf from '@tensorflow/tfjs';
import type { BackendName, ComputeBackend } from './compute-backend.js';
import { checkScoreShapes, checkWeightedSum } from './shape-checks.js';

/** The tfjs API surface; @tensorflow/tfjs-node(-gpu) export the same one. */
export type TfModule = typeof Tf;

/**
 * A ComputeBackend over a loaded tfjs module whose backend is already set (tensorflow
 * native, or wasm). Every call runs in `tf.tidy` so no tensor outlives it.
 *
 * @example
 * const tf = await import('@tensorflow/tfjs');
 * await tf.setBackend('wasm');
 * const backend = tfjsBackend(tf, 'tfjs-wasm');
 */
export function tfjsBackend(tf: TfModule, name: BackendName): ComputeBackend {
  return {
    name,

    scoreMatrix(a, m, b, n, d, bias) {
      checkScoreShapes(a, m, b, n, d, bias);
      if (m === 0 || n === 0) return new Float32Array(m * n);
      return tf.tidy(() => {
        const A = tf.tensor2d(a.subarray(0, m * d), [m, d]);
        // An explicit transpose then a plain matMul: ~7× faster than matMul's transposeB flag on wasm.
        const Bt = tf.transpose(tf.tensor2d(b.subarray(0, n * d), [n, d]));
        let s = tf.matMul(A, Bt);
        if (bias) s = tf.add(s, tf.tensor2d(bias.subarray(0, n), [1, n]));
        return s.dataSync() as Float32Array;
      });
    },

    weightedSum(vectors, weights) {
      const len = checkWeightedSum(vectors, weights);
      if (vectors.length === 0 || len === 0) return new Float32Array(len);
      return tf.tidy(() => {
        const V = tf.tensor2d(concat(vectors, len), [vectors.length, len]);
        const w = tf.tensor2d(Float32Array.from(weights), [1, vectors.length]);
        return tf.matMul(w, V).dataSync() as Float32Array;
      });
    },

    dispose() {
      // Tensors are freed per call by tidy; the tfjs engine itself is process-global.
    },
  };
}

function concat(vectors: readonly Float32Array[], len: number): Float32Array {
  const out = new Float32Array(vectors.length * len);
  vectors.forEach((v, i) => out.set(v, i * len));
  return out;
}
