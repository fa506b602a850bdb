import { applyDelta, extractDelta, type ModelWeights, type RecommenderModel, type RowTracker, type SparseDelta } from '@edgerec/services/model';
import type { SyncReference } from '@edgerec/services/store';

/**
 * The edge's learning that central has not been given yet: `local − reference` over the rows
 * the tracker saw touched since the last extraction, where the reference of a row is its local
 * value at that extraction (or the global base when it was not extracted since the base was
 * installed). Copies every value, so the result stays valid when the weights are swapped.
 *
 * @example
 * const d = unsyncedDelta(model.weights, holder.base, reference, model.tracker);
 */
export function unsyncedDelta(local: ModelWeights, base: ModelWeights, ref: SyncReference, tracker: RowTracker): SparseDelta {
  const delta = extractDelta(local, base, tracker);
  const d = delta.dim;
  for (let j = 0; j < delta.rows.length; j++) {
    const r = delta.rows[j];
    const vals = ref.rows.get(r);
    if (!vals) continue;
    const off = r * d;
    for (let k = 0; k < d; k++) delta.emb[j * d + k] = local.itemEmb[off + k] - vals[k];
    delta.bias[j] = local.itemBias[r] - vals[d];
  }
  if (delta.adapter && ref.adapter && ref.adapter.length === delta.adapter.length) {
    for (let i = 0; i < delta.adapter.length; i++) delta.adapter[i] = local.adapter[i] - ref.adapter[i];
  }
  return delta;
}

/**
 * The reference entries an extraction of `delta` sets: the current local values of its rows
 * (dim + 1 each: embedding, then bias) and of the adapter when the delta carries it.
 *
 * @example
 * const upd = referenceUpdate(model.weights, delta); // persist with the delta, then merge
 */
export function referenceUpdate(local: ModelWeights, delta: Pick<SparseDelta, 'rows' | 'adapter'>): SyncReference {
  const d = local.dim;
  const rows = new Map<number, Float32Array>();
  for (const r of delta.rows) {
    const vals = new Float32Array(d + 1);
    vals.set(local.itemEmb.subarray(r * d, (r + 1) * d));
    vals[d] = local.itemBias[r];
    rows.set(r, vals);
  }
  return { rows, adapter: delta.adapter ? local.adapter.slice() : null };
}

/** Merges `update` into `ref` in place. */
export function mergeReference(ref: SyncReference, update: SyncReference): void {
  for (const [r, vals] of update.rows) ref.rows.set(r, vals);
  if (update.adapter) ref.adapter = update.adapter;
}

/**
 * Rebase after a new global model was swapped in: adds the un-synced local updates (taken
 * with `unsyncedDelta` before the swap) to the new weights and gives the tracker back its
 * counts, so new_local = new_global + (local − reference) for rows touched since the last
 * extraction and those rows still go out with the next delta.
 *
 * @example
 * const pending = unsyncedDelta(model.weights, holder.base, ref, model.tracker);
 * holder.swap(newGlobal, version);
 * reapplyUnsynced(holder.model, pending);
 */
export function reapplyUnsynced(model: RecommenderModel, unsynced: SparseDelta): void {
  applyDelta(model.weights, unsynced);
  const t = model.tracker;
  for (let j = 0; j < unsynced.rows.length; j++) {
    const r = unsynced.rows[j];
    if (r < t.counts.length) t.counts[r] = unsynced.rowCounts[j];
  }
  t.adapterCount = unsynced.adapterCount;
  t.samples = unsynced.samples;
}
