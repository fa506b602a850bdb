import { encodePatch, encodeSnapshot, sha256Hex } from '@edgerec/services/compression';
import type { ModelWeights } from '@edgerec/services/model';

export type SnapshotCodecName = 'int8-snapshot' | 'f32-snapshot';

/** The downlink artifacts of one model version. */
export interface ModelArtifacts {
  codec: SnapshotCodecName;
  artifact: Uint8Array;
  sha256: string;
  /** sparse patch from the parent (null for the first version or a catalog shrink) */
  patch: Uint8Array | null;
  patchSha256: string | null;
}

/**
 * Encodes a version for distribution: the full snapshot and, when there is a parent,
 * the sparse patch from it. `parent` must be the weights edges hold for the parent (the
 * decoded parent snapshot), so patch and snapshot land on identical values.
 *
 * @example
 * const a = buildArtifacts(candidate, current);
 * registry.insert({ ...a, version, parent: currentVersion, ... });
 */
export function buildArtifacts(
  weights: ModelWeights,
  parent: ModelWeights | null,
  codec: SnapshotCodecName = 'int8-snapshot',
): ModelArtifacts {
  const artifact = encodeSnapshot(weights, codec);
  let patch: Uint8Array | null = null;
  // A patch only exists between equal shapes that grew or kept the catalog.
  if (parent && parent.dim === weights.dim && parent.numItems <= weights.numItems && parent.adapter.length === weights.adapter.length) {
    patch = encodePatch(parent, weights);
  }
  return { codec, artifact, sha256: sha256Hex(artifact), patch, patchSha256: patch ? sha256Hex(patch) : null };
}
