import { DomainError } from '@edgerec/proto-schemas';
import { SeededRandom } from '@edgerec/services/data';
import { defaultModelConfig, RecommenderModel, type ModelConfig } from '@edgerec/services/model';
import { buildArtifacts, type SnapshotCodecName } from '../distribution/index.js';
import { KV_KEYS, type CentralStore } from '../store/index.js';

/** Shape of the model central creates at its first start. */
export interface InitialModelOptions {
  /** catalogue size; defaults to `catalog.length` */
  numItems?: number;
  /** external item ids, index = dense item id; kept in kv for the admin API and edges */
  catalog?: readonly string[];
  config?: Partial<ModelConfig>;
  /** seed of the initial item rows (default 7) */
  seed?: number;
}

/**
 * Registers version 1 — a fresh RecommenderModel — as promoted and active when the
 * registry is empty; returns whether it did. Later starts find the registry filled and
 * leave it alone, so the option may be passed every time.
 *
 * @example
 * ensureInitialModel(store, { numItems: 1682, config: { dim: 64 } }, now); // true on first start
 */
export function ensureInitialModel(
  store: CentralStore,
  opts: InitialModelOptions | undefined,
  now: number,
  codec: SnapshotCodecName = 'int8-snapshot',
): boolean {
  if (store.kv.get<number>(KV_KEYS.activeVersion) !== null) return false;
  const numItems = opts?.numItems ?? opts?.catalog?.length;
  if (!opts || numItems === undefined || numItems < 1) {
    throw new DomainError('no_model', 400, 'first start needs the initial model shape (numItems or catalog)');
  }
  if (opts.catalog && opts.catalog.length !== numItems) {
    throw new DomainError('bad_catalog', 400, `catalog has ${opts.catalog.length} ids, numItems is ${numItems}`);
  }
  const config = defaultModelConfig(opts.config ?? {});
  const weights = RecommenderModel.create(numItems, config, new SeededRandom(opts.seed ?? 7).nextFloat).getWeights();
  const art = buildArtifacts(weights, null, codec);
  store.transaction(() => {
    store.registry.insert({
      version: 1, parent: null, createdAt: now, status: 'promoted', metrics: {}, sha256: art.sha256,
      size: art.artifact.byteLength, codec: art.codec, numItems, dim: config.dim, artifact: art.artifact, patch: null,
      patchSha256: null, roundId: null, reason: 'initial model',
    });
    store.kv.set(KV_KEYS.activeVersion, 1);
    store.kv.set(KV_KEYS.modelConfig, { numItems, config, seed: opts.seed ?? 7 });
    if (opts.catalog) store.kv.set(KV_KEYS.catalog, opts.catalog);
  });
  return true;
}
