import { z } from 'zod';
import { DomainError } from '@edgerec/proto-schemas';
import type { ModelWeights } from '../model/weights.js';
import type { MeanDelta } from './weighted-mean.js';

/**
 * Dense per-parameter buffers (one value per embedding coordinate, bias and adapter value)
 * for server optimizers: FedAvgM's momentum, FedAdam's first and second moments.
 */
export interface ParamBuffers {
  numItems: number;
  dim: number;
  emb: Float32Array;
  bias: Float32Array;
  adapter: Float32Array;
}

const F32 = z.custom<Float32Array>((v) => v instanceof Float32Array, 'expected Float32Array');
export const ParamBuffersSchema = z.object({
  numItems: z.number().int().min(0),
  dim: z.number().int().min(1),
  emb: F32,
  bias: F32,
  adapter: F32,
}).refine((b) => b.emb.length === b.numItems * b.dim && b.bias.length === b.numItems, 'buffer lengths disagree');

export function createBuffers(w: Pick<ModelWeights, 'numItems' | 'dim' | 'adapter'>, fill = 0): ParamBuffers {
  const { numItems, dim } = w;
  return {
    numItems, dim,
    emb: new Float32Array(numItems * dim).fill(fill),
    bias: new Float32Array(numItems).fill(fill),
    adapter: new Float32Array(w.adapter.length).fill(fill),
  };
}

/**
 * Buffers shaped for `base`: created on first use; grown (new rows at `fill`) when the
 * catalog grew; the adapter part restarted when the adapter's rank changed. A different dim
 * means the state belongs to another model: DomainError('strategy_state_mismatch', 409).
 */
export function fitBuffers(b: ParamBuffers | null, base: ModelWeights, fill = 0): ParamBuffers {
  if (!b) return createBuffers(base, fill);
  if (b.dim !== base.dim) {
    throw new DomainError('strategy_state_mismatch', 409, `optimizer state for dim ${b.dim}, model has ${base.dim}`);
  }
  if (b.numItems < base.numItems) {
    const grown = createBuffers(base, fill);
    grown.emb.set(b.emb);
    grown.bias.set(b.bias);
    grown.adapter = b.adapter;
    b = grown;
  }
  if (b.adapter.length !== base.adapter.length) b = { ...b, adapter: new Float32Array(base.adapter.length).fill(fill) };
  return b;
}

/**
 * Applies a per-coordinate server update lazily: only the rows in `mean` (and the adapter
 * when present) have their state advanced and their weights moved. Rows nobody touched this
 * round keep both their value and their optimizer state, like LazyAdam for embeddings;
 * otherwise stale momentum would keep dragging rows no node has seen in many rounds.
 *
 * `step(g, i)` receives the aggregated delta value and the flat index into the buffers
 * (emb: r·dim+k; bias and adapter use their own buffers, see `part`), and returns the change
 * to add to the weight.
 */
export function applyLazily(
  base: ModelWeights,
  mean: MeanDelta,
  step: (g: number, part: 'emb' | 'bias' | 'adapter', i: number) => number,
): ModelWeights {
  const { dim } = base;
  const itemEmb = base.itemEmb.slice();
  const itemBias = base.itemBias.slice();
  const adapter = base.adapter.slice();
  for (let s = 0; s < mean.rows.length; s++) {
    const r = mean.rows[s];
    itemBias[r] += step(mean.bias[s], 'bias', r);
    for (let k = 0; k < dim; k++) itemEmb[r * dim + k] += step(mean.emb[s * dim + k], 'emb', r * dim + k);
  }
  if (mean.adapter) for (let i = 0; i < adapter.length; i++) adapter[i] += step(mean.adapter[i], 'adapter', i);
  return { numItems: base.numItems, dim, itemEmb, itemBias, adapter };
}

export function copyBuffers(b: ParamBuffers): ParamBuffers {
  return { ...b, emb: b.emb.slice(), bias: b.bias.slice(), adapter: b.adapter.slice() };
}
