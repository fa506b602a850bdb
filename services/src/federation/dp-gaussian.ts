import type { ModelWeights, SparseDelta } from '../model/weights.js';
import type { AggregateResult, AggregationStrategy, ClientUpdate } from './aggregation-strategy.js';
import { updateNorms, validateUpdates } from './aggregation-strategy.js';
import { clipUpdates } from './norm-clipping.js';
import { gaussian } from '../common/seeded-rng.js';

export interface GaussianDpOptions {
  /** L2 bound C on each node's delta (the sensitivity of the sum) */
  clip: number;
  /** z: noise std on the sum is z · C */
  noiseMultiplier: number;
  /** uniform [0,1) source for the noise — a CSPRNG in production, seeded in tests */
  rng: () => number;
}

/**
 * Central differential privacy for one round, DP-FedAvg style (McMahan et al. 2018):
 *  1. clip every node's delta to L2 ≤ C (staleness weights in [0,1] scale it further; weights
 *     above 1 are capped at 1 so no node exceeds sensitivity C),
 *  2. sum over nodes with missing rows as zeros, add N(0, (zC)²) to *every* coordinate of the
 *     model — item rows, biases, adapter — so which items were touched is hidden too,
 *  3. divide by the number of nodes n (fixed denominator, not per-row counts, whose
 *     sensitivity would be unbounded), and hand the result to the wrapped strategy as a
 *     single update.
 *
 * Privacy unit: one node's delta in one round (node-level DP). Account for it with
 * `rdpEpsilon(z, q, rounds, δ)` where q is the probability a node is sampled into a round.
 * Assumes n is public and nodes are sampled independently (Poisson); the result is dense,
 * so every row changes and the next patch is a full one. Wrap server optimizers (fedavg,
 * fedavgm, fedadam, fedyogi); robust strategies see only the one noisy update.
 *
 * @example
 * const s = withGaussianDp(createFedAvg(), { clip: 0.5, noiseMultiplier: 1.1, rng });
 * s.aggregate(global, updates).stats.dp; // { clip, noiseMultiplier, noiseStd }
 */
export function withGaussianDp(inner: AggregationStrategy, opts: GaussianDpOptions): AggregationStrategy {
  const { clip, noiseMultiplier } = opts;
  if (!(clip > 0) || !(noiseMultiplier >= 0)) throw new RangeError('dp: clip must be > 0 and noiseMultiplier ≥ 0');
  const normal = gaussian(opts.rng);
  const name = `dp(${inner.name})`;
  return {
    name,
    aggregate(base: ModelWeights, updates: readonly ClientUpdate[]): AggregateResult {
      const norms = validateUpdates(base, updates);
      const n = updates.length;
      const { clippedUpdates, clipped } = clipUpdates(updates, clip, norms);
      if (n === 0) {
        const res = inner.aggregate(base, []);
        return { weights: res.weights, stats: { ...res.stats, strategy: name, dp: { clip, noiseMultiplier, noiseStd: 0 } } };
      }
      const noisy = noisyMean(base, clippedUpdates, noiseMultiplier * clip, normal);
      const res = inner.aggregate(base, [{ nodeId: 'dp-aggregate', delta: noisy }]);
      return {
        weights: res.weights,
        stats: {
          ...res.stats, strategy: name, nodes: n, clipped, updateNorms: updateNorms(updates, norms), clipNorm: clip,
          dp: { clip, noiseMultiplier, noiseStd: (noiseMultiplier * clip) / n },
        },
      };
    },
    exportState: () => inner.exportState(),
    importState: (s) => inner.importState(s),
  };
}

/** (Σ wᵢ·Δᵢ + N(0, σ²·I)) / n over every item row, bias and adapter value, as one dense delta. */
function noisyMean(base: ModelWeights, updates: readonly ClientUpdate[], sigma: number, normal: () => number): SparseDelta {
  const { numItems, dim } = base;
  const emb = new Float64Array(numItems * dim);
  const bias = new Float64Array(numItems);
  const adapter = new Float64Array(base.adapter.length);
  for (const u of updates) {
    const w = Math.min(1, u.weight ?? 1);
    const d = u.delta;
    for (let j = 0; j < d.rows.length; j++) {
      const r = d.rows[j];
      bias[r] += w * d.bias[j];
      for (let k = 0; k < dim; k++) emb[r * dim + k] += w * d.emb[j * dim + k];
    }
    if (d.adapter) for (let i = 0; i < adapter.length; i++) adapter[i] += w * d.adapter[i];
  }
  const n = updates.length;
  const finish = (a: Float64Array) => Float32Array.from(a, (x) => (x + sigma * normal()) / n);
  return {
    dim,
    rows: Uint32Array.from({ length: numItems }, (_, i) => i),
    emb: finish(emb),
    bias: finish(bias),
    rowCounts: new Uint32Array(numItems).fill(1),
    adapter: adapter.length ? finish(adapter) : null,
    adapterCount: 1,
    samples: n,
  };
}
