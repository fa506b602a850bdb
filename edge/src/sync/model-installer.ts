import { DomainError, type ModelManifestMsg } from '@edgerec/proto-schemas';
import type { ModelWeights } from '@edgerec/services/model';
import type { EdgeDatabase } from '@edgerec/services/store';
import { ItemCatalog } from '../item-catalog.js';
import type { ModelHolder } from '../model-holder.js';
import type { SyncMemory } from './delta-extraction.js';
import { reapplyUnsynced, unsyncedDelta } from './unsynced-delta.js';

export interface InstallInput {
  edb: EdgeDatabase;
  holder: ModelHolder;
  memory: SyncMemory;
  weights: ModelWeights;
  manifest: Pick<ModelManifestMsg, 'version' | 'parent'>;
  now: number;
  /** persists the model state (inside the same transaction) */
  checkpoint: () => void;
}

/**
 * Installs a verified global model and rebases the edge's un-synced learning onto it:
 * new_local = new_global + (local − reference) for the rows touched since the last
 * extraction (their tracker counts are kept, so they go out with the next delta); every other
 * row becomes the new global. The new base (also the FedProx anchor), version, catalog growth,
 * rebased rows and the cleared sync reference are persisted in one transaction, and the swap
 * replaces the weights object, so a request already holding the old one finishes on it.
 * Throws `DomainError('bad_model')` (nothing changed) when the shape does not fit, and
 * `DomainError('unservable_model')` when a value is not finite or beyond ±1e3: a signed
 * release can still be wrong (a bug or a poisoned round central let through), and such values
 * would make every score NaN.
 *
 * @example
 * installGlobalModel({ edb, holder, memory, weights, manifest, now: Date.now(), checkpoint });
 */
export function installGlobalModel(x: InstallInput): void {
  const { edb, holder, memory, weights } = x;
  assertServable(weights);
  // Copies the pending values first: the swap may give the model a fresh (wasm) table.
  const pending = unsyncedDelta(holder.model.weights, holder.base, memory.reference, holder.model.tracker);
  // Rows beyond the catalog are named like a synthetic catalog (`--items N`); central sends no ids.
  const newItemIds = ItemCatalog.synthetic(weights.numItems).slice(holder.numItems);
  edb.transaction(() => {
    holder.swap(weights, x.manifest.version, { parent: x.manifest.parent, syncedAt: x.now, newItemIds });
    reapplyUnsynced(holder.model, pending);
    edb.syncRef.clear();
    x.checkpoint();
  });
  memory.reference = { rows: new Map(), adapter: null };
}

/**
 * Largest |value| an installed model may hold: trained values live around ±1. At 1e4 a signed
 * but garbage release passed and the adapter's products overflowed to NaN while learning.
 */
const MAX_WEIGHT_ABS = 1e3;

function assertServable(w: ModelWeights): void {
  for (const [name, a] of [['itemEmb', w.itemEmb], ['itemBias', w.itemBias], ['adapter', w.adapter]] as const) {
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (!(v <= MAX_WEIGHT_ABS && v >= -MAX_WEIGHT_ABS)) {
        throw new DomainError('unservable_model', 422, `${name}[${i}] = ${v} is not a finite value within ±${MAX_WEIGHT_ABS}`);
      }
    }
  }
}
