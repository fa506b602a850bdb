import type { z } from 'zod';
import { DomainError } from '@edgerec/proto-schemas';
import type { ModelWeights, SparseDelta } from '../model/weights.js';
import { validateDelta } from '../compression/delta-validation.js';
import { deltaNorm } from './delta-norms.js';

/** One node's contribution to a round. */
export interface ClientUpdate {
  nodeId: string;
  delta: SparseDelta;
  /** staleness weight in [0, ∞), default 1 (e.g. 1/(1+√s) for a delta s versions late) */
  weight?: number;
}

export interface AggregateStats {
  strategy: string;
  /** updates aggregated */
  nodes: number;
  /** item rows whose values changed */
  rowsUpdated: number;
  adapterUpdated: boolean;
  /** nodeIds whose delta was scaled down by norm clipping */
  clipped: string[];
  /** nodeIds a robust strategy rejected or flagged as far from the aggregate */
  outliers: string[];
  /** count-weighted strategies: nodes whose claimed row counts the count cap lowered → fraction of their weight removed */
  countCut?: Record<string, number>;
  /** L2 norm of each node's delta as received (largest one if a node sent several) */
  updateNorms: Record<string, number>;
  /** the clipping bound in force (adaptive clipping reports the one it computed) */
  clipNorm?: number;
  /** present when Gaussian noise was added */
  dp?: { clip: number; noiseMultiplier: number; noiseStd: number };
}

export interface AggregateResult {
  /** new weights; `base` is never modified */
  weights: ModelWeights;
  stats: AggregateStats;
}

/**
 * A server-side aggregation rule in the style of Flower's strategies. Stateful servers
 * (FedAvgM, FedAdam, FedYogi) keep optimizer state across rounds in the object; persist it
 * with `exportState()` (null for stateless strategies; typed arrays inside, so store it with
 * msgpack) and restore it with `importState()` after a restart.
 *
 * @example
 * const strategy = createFedAvg();
 * const { weights, stats } = strategy.aggregate(current, [{ nodeId: 'e1', delta }]);
 */
export interface AggregationStrategy {
  readonly name: string;
  aggregate(base: ModelWeights, updates: readonly ClientUpdate[]): AggregateResult;
  exportState(): unknown;
  /** throws DomainError('bad_strategy_state', 400) for state of another shape or strategy */
  importState(state: unknown): void;
}

/**
 * Checks every update against the model: same dim, rows in range, adapter of the model's
 * length, finite values, a non-negative finite weight. Throws DomainError('bad_delta', 400)
 * naming the node. Returns each update's L2 norm, which doubles as the finiteness check
 * (one pass over the values instead of two).
 */
export function validateUpdates(base: ModelWeights, updates: readonly ClientUpdate[]): number[] {
  return updates.map((u) => {
    try {
      if (u.delta.dim !== base.dim) throw new DomainError('bad_delta', 400, `dim ${u.delta.dim} ≠ model dim ${base.dim}`);
      validateDelta(u.delta, { numItems: base.numItems, adapterLength: base.adapter.length, checkFinite: false });
      const w = u.weight ?? 1;
      if (!(Number.isFinite(w) && w >= 0)) throw new DomainError('bad_delta', 400, `bad weight ${w}`);
      const norm = deltaNorm(u.delta);
      if (!Number.isFinite(norm)) throw new DomainError('bad_delta', 400, 'non-finite (or absurdly large) values');
      return norm;
    } catch (e) {
      if (e instanceof DomainError) throw new DomainError(e.code, e.status, `update from ${u.nodeId}: ${e.message}`);
      throw e;
    }
  });
}

/** L2 norm of each node's delta; a node with several updates reports its largest. */
export function updateNorms(updates: readonly ClientUpdate[], norms: readonly number[] = updates.map((u) => deltaNorm(u.delta))): Record<string, number> {
  const out: Record<string, number> = {};
  updates.forEach((u, i) => {
    out[u.nodeId] = Math.max(out[u.nodeId] ?? 0, norms[i]);
  });
  return out;
}

/** Parses strategy parameters; failures become DomainError('bad_strategy_spec', 400). */
export function parseParams<S extends z.ZodType>(schema: S, input: unknown, strategy: string): z.output<S> {
  const r = schema.safeParse(input ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new DomainError('bad_strategy_spec', 400, `${strategy}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim());
  }
  return r.data;
}
