import type { DeltaCodec } from '@edgerec/proto-schemas';
import { applyErrorFeedback, denseBytes, type ResidualState, type TopKSpec } from '@edgerec/services/compression';
import type { ModelWeights, RowTracker, SparseDelta } from '@edgerec/services/model';
import type { SyncReference } from '@edgerec/services/store';
import { referenceUpdate, unsyncedDelta } from './unsynced-delta.js';

/** How an uplink delta is compressed (from the round policy). */
export interface CutSpec {
  codec: DeltaCodec;
  /** top-k for `topk-int8` (default 10 % of dim) */
  topK?: TopKSpec;
  /** uniform [0,1) source for stochastic int8 rounding */
  rng?: () => number;
}

/** One extraction, computed but not yet persisted. */
export interface DeltaCut {
  /** the full increment: what local learning changed since the last extraction */
  delta: SparseDelta;
  /** what central will decode from `bytes` (increment + residual, compressed) */
  sent: SparseDelta;
  bytes: Uint8Array;
  /** what compression dropped, owed to central in the next delta (error feedback) */
  residual: ResidualState;
  /** new reference entries: the extracted rows' local values */
  reference: SyncReference;
  /** float32 size of the same rows (`denseBytes(sent)`), the compression ratio's reference */
  denseBytes: number;
}

/**
 * Pure core of an extraction (DESIGN §3): the un-synced increment `local − reference` over the
 * touched rows, plus the error-feedback residual, compressed with the policy's codec. Returns
 * null when there is nothing at all to send. The caller persists the result in one transaction.
 *
 * @example
 * const cut = cutDelta(model.weights, holder.base, ref, model.tracker, residual, { codec: 'topk-int8' });
 * if (cut) outbox.add({ deltaId, bytes: cut.bytes, ... });
 */
export function cutDelta(
  local: ModelWeights,
  base: ModelWeights,
  ref: SyncReference,
  tracker: RowTracker,
  residual: ResidualState,
  spec: CutSpec,
): DeltaCut | null {
  const delta = unsyncedDelta(local, base, ref, tracker);
  const owed = residual.rows.size > 0 || residual.adapter !== null;
  if (delta.samples === 0 && delta.rows.length === 0 && delta.adapter === null && !owed) return null;
  const ef = applyErrorFeedback(delta, residual, { codec: spec.codec, topK: spec.topK, rng: spec.rng });
  return {
    delta, sent: ef.sent, bytes: ef.bytes, residual: ef.residual,
    reference: referenceUpdate(local, delta), denseBytes: denseBytes(ef.sent),
  };
}
