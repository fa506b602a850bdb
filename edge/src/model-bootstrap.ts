import {
  cloneWeights, defaultModelConfig, ModelConfig, RecommenderModel, type ModelWeights,
} from '@edgerec/services/model';
import { SeededRandom } from '@edgerec/services/data';
import type { AppliedWatermark, EdgeDatabase, LoadedModel } from '@edgerec/services/store';
import { ItemCatalog } from './item-catalog.js';
import { ModelHolder } from './model-holder.js';
import { optimizerStateOf } from './model-state-access.js';

export interface BootstrapOptions {
  /** size of the synthetic catalog `i0 … i{n-1}` for a new database (default 1000) */
  numItems?: number;
  /** embedding dim for a new database (default: the model's default) */
  dim?: number;
  /** model settings (proxMu, lr, historyLen…); on an existing database all but dim and adapterRank apply */
  modelConfig?: Partial<ModelConfig>;
  /** seeds the initial weights of a new database */
  seed: number;
  clock: () => number;
}

/** A ready model with the learner progress it embodies. */
export interface BootstrappedModel {
  holder: ModelHolder;
  watermark: AppliedWatermark;
  /** rows present in the stored overlay (they differ from base or carry optimizer state) */
  overlayRows: Uint32Array;
  /** true when this call created the model (empty database) */
  created: boolean;
}

export const DEFAULT_NUM_ITEMS = 1000;

/**
 * Loads the persisted model, or creates one in an empty database. A new model is a fresh
 * `RecommenderModel` over a synthetic catalog `i0 … i{N-1}` (N = `numItems`), version 0 — a
 * stand-in until the first global model arrives; real catalogs come with central's models.
 * An existing database wins over `numItems`/`dim` (a node never reshapes its model on its own).
 *
 * @example
 * const { holder, watermark } = loadOrCreateModel(edgeDb, { numItems: 500, seed: 7, clock: Date.now });
 */
export function loadOrCreateModel(edb: EdgeDatabase, opts: BootstrapOptions): BootstrappedModel {
  const loaded = edb.models.load();
  return loaded ? restore(edb, loaded, opts.modelConfig) : create(edb, opts);
}

function create(edb: EdgeDatabase, opts: BootstrapOptions): BootstrappedModel {
  const numItems = opts.numItems ?? DEFAULT_NUM_ITEMS;
  const config = defaultModelConfig({ ...opts.modelConfig, ...(opts.dim !== undefined ? { dim: opts.dim } : {}) });
  const model = RecommenderModel.create(numItems, config, new SeededRandom(opts.seed).nextFloat);
  const catalog = new ItemCatalog(ItemCatalog.synthetic(numItems));
  const base = cloneWeights(model.weights);
  const watermark: AppliedWatermark = { appliedSeq: 0, appliedCount: 0, appliedSeqSum: 0 };
  const opt = optimizerStateOf(model);
  edb.transaction(() => {
    if (edb.catalog.count() > 0) throw new Error('database has an item catalog but no model');
    edb.catalog.append(ItemCatalog.synthetic(numItems));
    edb.models.install(
      { version: 0, parent: null, numItems, dim: config.dim, config, lastSyncAt: null, adapterCount: 0, samples: 0, ...watermark },
      base,
      {
        weights: model.weights, dirtyRows: [], itemAccum: opt.itemAccum, counts: model.tracker.counts,
        adapterAccum: opt.adapterAccum, adapterCount: 0, samples: 0, ...watermark,
      },
      opts.clock(),
    );
  });
  const holder = new ModelHolder(model, catalog, 0, null, null, base);
  return { holder, watermark, overlayRows: new Uint32Array(0), created: true };
}

function restore(edb: EdgeDatabase, loaded: LoadedModel, overrides: Partial<ModelConfig> = {}): BootstrappedModel {
  const { meta, base, overlay } = loaded;
  const stored = ModelConfig.parse(meta.config);
  // Training knobs (proxMu, lr, negatives…) may change between runs; the shape may not.
  const config = ModelConfig.parse({ ...stored, ...overrides, dim: stored.dim, adapterRank: stored.adapterRank });
  const d = meta.dim;
  const weights: ModelWeights = { ...cloneWeights(base), adapter: loaded.adapter.slice() };
  // The constructor marks every row for the scorer's int8 mirror, rebuilt lazily at the first
  // query, so the overlay rows written below are picked up.
  const model = new RecommenderModel(weights, config);
  const opt = optimizerStateOf(model);
  for (let j = 0; j < overlay.rows.length; j++) {
    const r = overlay.rows[j];
    weights.itemEmb.set(overlay.emb.subarray(j * d, (j + 1) * d), r * d);
    weights.itemBias[r] = overlay.bias[j];
    opt.itemAccum[r] = overlay.accum[j];
    model.tracker.counts[r] = overlay.counts[j];
  }
  opt.adapterAccum.set(loaded.adapterAccum);
  model.tracker.adapterCount = meta.adapterCount;
  model.tracker.samples = meta.samples;
  const catalog = new ItemCatalog(edb.catalog.loadAll());
  const holder = new ModelHolder(model, catalog, meta.version, meta.parent, meta.lastSyncAt, base);
  const watermark = { appliedSeq: meta.appliedSeq, appliedCount: meta.appliedCount, appliedSeqSum: meta.appliedSeqSum };
  return { holder, watermark, overlayRows: overlay.rows, created: false };
}
