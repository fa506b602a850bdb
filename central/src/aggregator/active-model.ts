import { DomainError } from '@edgerec/proto-schemas';
import { decodeSnapshot } from '@edgerec/services/compression';
import type { ModelWeights } from '@edgerec/services/model';
import { KV_KEYS, type CentralStore } from '../store/index.js';

/**
 * The promoted model central aggregates onto, held in memory as the decoded artifact —
 * exactly the weights edges run and compute their deltas against.
 *
 * @example
 * const active = ActiveModel.load(store);
 * active.version; // 7
 */
export class ActiveModel {
  private constructor(
    private current: { version: number; weights: ModelWeights },
  ) {}

  /** Reads kv `active_version` and decodes that artifact; throws DomainError('no_model') when none is promoted. */
  static load(store: CentralStore): ActiveModel {
    const version = store.kv.get<number>(KV_KEYS.activeVersion);
    if (version === null) throw new DomainError('no_model', 500, 'no active model version in the registry');
    return new ActiveModel({ version, weights: ActiveModel.weightsOf(store, version) });
  }

  /** Decoded artifact of any registered version. */
  static weightsOf(store: CentralStore, version: number): ModelWeights {
    const bytes = store.registry.artifact(version);
    if (!bytes) throw new DomainError('unknown_version', 404, `model version ${version} is not in the registry`);
    return decodeSnapshot(bytes);
  }

  get version(): number {
    return this.current.version;
  }

  get weights(): ModelWeights {
    return this.current.weights;
  }

  set(version: number, weights: ModelWeights): void {
    this.current = { version, weights };
  }
}
