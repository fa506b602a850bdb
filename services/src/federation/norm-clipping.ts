import type { ModelWeights } from '../model/weights.js';
import type { AggregateResult, AggregationStrategy, ClientUpdate } from './aggregation-strategy.js';
import { updateNorms, validateUpdates } from './aggregation-strategy.js';
import { deltaNorm, median, scaleDelta } from './delta-norms.js';

/** A fixed L2 bound, or an adaptive one: `medianFactor × median(update norms)` of the round. */
export type ClipBound = number | { medianFactor: number };

/**
 * Scales every client delta down to L2 norm ≤ bound before the wrapped strategy sees it,
 * capping what any single node can move the model. The adaptive bound follows the round's
 * median norm, so it needs no tuning to the delta scale and a minority of huge updates cannot
 * raise it. `stats.updateNorms` reports the norms as received, `stats.clipNorm` the bound used.
 *
 * @example
 * const s = withClipping(createFedAvg(), { medianFactor: 2 });
 * s.aggregate(global, updates).stats.clipped; // nodes that were scaled down
 */
export function withClipping(inner: AggregationStrategy, bound: ClipBound): AggregationStrategy {
  if (typeof bound === 'number' ? !(bound > 0) : !(bound.medianFactor > 0)) {
    throw new RangeError(`clip bound must be positive, got ${JSON.stringify(bound)}`);
  }
  const name = `clip(${inner.name})`;
  return {
    name,
    aggregate(base: ModelWeights, updates: readonly ClientUpdate[]): AggregateResult {
      const norms = validateUpdates(base, updates);
      const { clippedUpdates, clipped, maxNorm } = clipUpdates(updates, bound, norms);
      const res = inner.aggregate(base, clippedUpdates);
      return {
        weights: res.weights,
        stats: { ...res.stats, strategy: name, clipped, updateNorms: updateNorms(updates, norms), clipNorm: maxNorm },
      };
    },
    exportState: () => inner.exportState(),
    importState: (s) => inner.importState(s),
  };
}

/** Clips each update to the bound; returns the new updates, who was clipped, and the bound used. */
export function clipUpdates(
  updates: readonly ClientUpdate[],
  bound: ClipBound,
  norms: readonly number[] = updates.map((u) => deltaNorm(u.delta)),
) {
  const maxNorm = typeof bound === 'number' ? bound : bound.medianFactor * median(norms);
  const clipped: string[] = [];
  const clippedUpdates = updates.map((u, i) => {
    if (norms[i] <= maxNorm) return u;
    clipped.push(u.nodeId);
    return { ...u, delta: scaleDelta(u.delta, maxNorm / norms[i]) };
  });
  return { clippedUpdates, clipped, maxNorm };
}
