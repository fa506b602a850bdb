import { DomainError } from '@edgerec/proto-schemas';
import { decodeSnapshot, encodePatch, sha256Hex } from '@edgerec/services/compression';
import type { ModelWeights } from '@edgerec/services/model';
import type { CentralStore, ModelStatus, ModelVersionInfo } from '../store/index.js';

/** Holdout metrics describe the weights, so a copy inherits them; federated ones are per version number. */
const WEIGHT_METRICS = ['hr@10', 'ndcg@10', 'hr@10_full', 'ndcg@10_full', 'holdout_users'];

export function requireVersion(store: CentralStore, version: number): ModelVersionInfo {
  const info = store.registry.get(version);
  if (!info) throw new DomainError('unknown_version', 404, `model version ${version} is not in the registry`);
  return info;
}

/**
 * Registers the weights of `source` under a NEW version number whose parent is `parent`
 * (what edges hold now): edges only ever move forward in version numbers, so going back
 * to an older model (rollback) or testing one on a canary re-releases its bytes as a new
 * version. The snapshot bytes (and sha256) are the source's, unchanged; the sparse patch
 * is computed from `parent` so edges download little. Call inside a transaction.
 *
 * @example
 * const v = registerCopy(store, 3, { version: 7, weights }, 'promoted', 'rollback to v3 by alice', now);
 */
export function registerCopy(
  store: CentralStore,
  source: number,
  parent: { version: number; weights: ModelWeights },
  status: ModelStatus,
  reason: string,
  now: number,
): number {
  const info = requireVersion(store, source);
  const artifact = store.registry.artifact(source)!;
  const weights = decodeSnapshot(artifact);
  const p = parent.weights;
  // A patch exists only between equal shapes that kept or grew the catalog (as in buildArtifacts).
  const patch = p.dim === weights.dim && p.numItems <= weights.numItems && p.adapter.length === weights.adapter.length
    ? encodePatch(p, weights)
    : null;
  const metrics: Record<string, number> = { copy_of: source };
  for (const k of WEIGHT_METRICS) if (info.metrics[k] !== undefined) metrics[k] = info.metrics[k];
  const version = store.registry.maxVersion() + 1;
  store.registry.insert({
    version, parent: parent.version, createdAt: now, status, metrics, sha256: info.sha256, size: info.size, codec: info.codec,
    numItems: info.numItems, dim: info.dim, artifact, patch, patchSha256: patch ? sha256Hex(patch) : null, roundId: null, reason,
  });
  return version;
}
