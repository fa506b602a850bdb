import { DomainError } from '@edgerec/proto-schemas';
import { cloneWeights, type ModelWeights, type RecommenderModel } from '@edgerec/services/model';
import { simdScorerOf, toWasmWeights } from '@edgerec/services/model/simd';
import type { ItemCatalog } from './item-catalog.js';

/** Where a swapped-in model came from. */
export interface SwapOptions {
  /** parent version; defaults to the version being replaced */
  parent?: number | null;
  /** when the model came from central (ModelInfo.lastSyncAt) */
  syncedAt?: number;
  /** ids of the rows beyond the current catalog, when the new model has more items */
  newItemIds?: readonly string[];
}

/**
 * The model an edge serves and trains, with the global version it is based on and the
 * item catalog that names its rows. One object shared by the request path and the learner
 * (both on the one JS thread, so a swap is atomic with respect to both). `base` is the
 * global model as received: the anchor of the FedProx pull and the base an uplink delta is
 * taken against.
 *
 * @example
 * holder.onSwap(() => learner.checkpoint());                 // persist right after a swap
 * holder.swap(newGlobalWeights, 5, { syncedAt: Date.now() }); // hot swap
 */
export class ModelHolder {
  base: ModelWeights;
  /** set by swap, cleared by whoever persists the new model (the learner's next checkpoint) */
  pendingInstall = false;
  private readonly listeners: (() => void)[] = [];

  constructor(
    readonly model: RecommenderModel,
    readonly catalog: ItemCatalog,
    public version: number,
    public parent: number | null,
    public lastSyncAt: number | null,
    base: ModelWeights,
  ) {
    if (catalog.size !== model.numItems) throw new Error(`catalog has ${catalog.size} items, model ${model.numItems}`);
    this.base = base;
    // Serve from a table in wasm memory (SIMD kernel, no per-query copy); plain arrays where SIMD is missing.
    if (!simdScorerOf(model.weights)) model.setWeights(toWasmWeights(model.weights));
    this.model.anchor = model.config.proxMu > 0 ? base : null;
  }

  get numItems(): number {
    return this.model.numItems;
  }

  /** Called synchronously after every swap, in registration order. */
  onSwap(listener: () => void): void {
    this.listeners.push(listener);
  }

  /**
   * Replaces the shared weights with a new global model. Local updates since the last
   * sync are dropped (rebasing them is the sync client's job: take the delta before
   * swapping). User vectors and optimizer state are kept. The catalog never shrinks; rows
   * beyond it need their ids in `newItemIds`. Throws `bad_model` (changing nothing) on a
   * shape mismatch.
   */
  swap(weights: ModelWeights, version: number, opts: SwapOptions = {}): void {
    const cur = this.model;
    const bad = (msg: string) => new DomainError('bad_model', 422, msg);
    if (weights.dim !== cur.config.dim) throw bad(`model dim ${weights.dim} ≠ ${cur.config.dim}`);
    if (weights.adapter.length !== cur.weights.adapter.length) throw bad('adapter shape differs');
    if (weights.itemEmb.length !== weights.numItems * weights.dim || weights.itemBias.length !== weights.numItems) {
      throw bad('weights arrays do not match numItems × dim');
    }
    const added = weights.numItems - cur.numItems;
    if (added < 0) throw bad(`model has ${weights.numItems} items, fewer than ${cur.numItems}`);
    const newItemIds = opts.newItemIds ?? [];
    if (newItemIds.length !== added) throw bad(`model adds ${added} items but ${newItemIds.length} new ids were given`);
    if (!Number.isSafeInteger(version) || version < 0) throw bad(`bad version ${version}`);
    try {
      this.catalog.append(newItemIds);
    } catch (e) {
      throw bad((e as Error).message);
    }
    const previous = this.version;
    cur.setWeights(toWasmWeights(weights));
    this.base = cloneWeights(weights);
    cur.anchor = cur.config.proxMu > 0 ? this.base : null;
    cur.tracker.reset();
    this.parent = opts.parent === undefined ? previous : opts.parent;
    this.version = version;
    if (opts.syncedAt !== undefined) this.lastSyncAt = opts.syncedAt;
    this.pendingInstall = true;
    for (const l of this.listeners) l();
  }
}
