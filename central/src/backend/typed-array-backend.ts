import type { ComputeBackend } from './compute-backend.js';
import { checkScoreShapes, checkWeightedSum } from './shape-checks.js';

/**
 * The reference backend: plain loops over Float32Arrays, float64 accumulation. Four
 * rows per pass keep the query row in registers (as RecommenderModel.scoreAllWithQuery).
 *
 * @example
 * typedArrayBackend.scoreMatrix(queries, users, itemEmb, numItems, dim, itemBias);
 */
export const typedArrayBackend: ComputeBackend = {
  name: 'typed-array',

  scoreMatrix(a, m, b, n, d, bias) {
    checkScoreShapes(a, m, b, n, d, bias);
    const out = new Float32Array(m * n);
    for (let i = 0; i < m; i++) {
      const qa = i * d;
      const row = i * n;
      let j = 0;
      for (; j + 4 <= n; j += 4) {
        const o0 = j * d;
        const o1 = o0 + d;
        const o2 = o1 + d;
        const o3 = o2 + d;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let k = 0; k < d; k++) {
          const q = a[qa + k];
          s0 += q * b[o0 + k];
          s1 += q * b[o1 + k];
          s2 += q * b[o2 + k];
          s3 += q * b[o3 + k];
        }
        out[row + j] = s0 + (bias ? bias[j] : 0);
        out[row + j + 1] = s1 + (bias ? bias[j + 1] : 0);
        out[row + j + 2] = s2 + (bias ? bias[j + 2] : 0);
        out[row + j + 3] = s3 + (bias ? bias[j + 3] : 0);
      }
      for (; j < n; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += a[qa + k] * b[j * d + k];
        out[row + j] = s + (bias ? bias[j] : 0);
      }
    }
    return out;
  },

  weightedSum(vectors, weights) {
    const len = checkWeightedSum(vectors, weights);
    const acc = new Float64Array(len);
    vectors.forEach((v, i) => {
      const w = weights[i];
      for (let k = 0; k < len; k++) acc[k] += w * v[k];
    });
    return Float32Array.from(acc);
  },

  dispose() {},
};
