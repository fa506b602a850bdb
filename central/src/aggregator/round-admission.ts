import type { DeltaOutcome } from '../metrics/index.js';
import type { CentralStore, RoundRecord } from '../store/index.js';
import { CentralRoundPolicy } from './round-policy.js';
import { judgeStaleness, type StalenessVerdict } from './staleness.js';

/** A complete, decoded-and-validated delta waiting to be counted. */
export interface DeltaAdmission {
  deltaId: string;
  nodeId: string;
  /** the round the edge answered (null in async mode) */
  roundId: number | null;
  baseVersion: number;
  samples: number;
  codec: string;
  bytes: Uint8Array;
}

/** What central tells the edge; null means "not now" (shutting down): no ack, the edge re-sends. */
export type AdmitResult = { status: 'accepted' | 'duplicate' | 'rejected'; reason?: string; roundId: number | null } | null;

/**
 * Counts a delta into `round` exactly once: judges its staleness, then inserts it (bytes
 * and all) and stamps the node's last delta in one transaction. The deltaId primary key
 * turns a re-send — also one that arrives after a restart — into 'duplicate'. `outcome` is
 * the metrics label.
 *
 * @example
 * const { result } = countDelta(store, openRound, delta, now); // { status: 'accepted', roundId: 4 }
 */
export function countDelta(
  store: CentralStore,
  round: RoundRecord,
  d: DeltaAdmission,
  now: number,
): { result: NonNullable<AdmitResult>; outcome: DeltaOutcome } {
  const verdict = judge(store, d, round);
  const refused = verdict.status === 'rejected';
  const reason = verdict.status === 'rejected' ? verdict.reason : null;
  const inserted = store.transaction(() => {
    const r = store.deltas.insert({
      deltaId: d.deltaId, nodeId: d.nodeId, roundId: refused ? null : round.id, baseVersion: d.baseVersion,
      samples: d.samples, codec: d.codec, bytes: refused ? null : d.bytes, size: d.bytes.byteLength, receivedAt: now,
      status: verdict.status, weight: verdict.status === 'rejected' ? 0 : verdict.weight, reason,
    });
    if (r === 'inserted' && !refused) store.nodes.recordDelta(d.nodeId, now);
    return r;
  });
  if (inserted === 'exists') {
    const result = duplicateVerdict(store, d);
    return { result, outcome: result.status === 'duplicate' ? 'duplicate' : 'rejected' };
  }
  if (refused) return { result: { status: 'rejected', reason: reason ?? 'rejected', roundId: null }, outcome: 'rejected' };
  return { result: { status: 'accepted', roundId: round.id }, outcome: verdict.status === 'late' ? 'late' : 'accepted' };
}

/**
 * Staleness counts the versions released after the delta's base (rejected candidates
 * never reached an edge); a base edges cannot hold, a round from the future, or more samples
 * than the round's `maxSamples` is refused.
 */
function judge(store: CentralStore, d: DeltaAdmission, round: RoundRecord): StalenessVerdict {
  const { registry } = store;
  const current = round.baseVersion;
  if (d.baseVersion > current || !registry.wasReleased(d.baseVersion)) {
    return { status: 'rejected', reason: `unknown base version ${d.baseVersion} (current is ${current})`, staleness: 0 };
  }
  if (d.roundId !== null && d.roundId > round.id) {
    return { status: 'rejected', reason: `unknown round ${d.roundId} (current is ${round.id})`, staleness: 0 };
  }
  const policy = CentralRoundPolicy.parse(round.policy);
  if (d.samples > policy.maxSamples) {
    // Claimed samples are what row counts are checked against (see DeltaIntake), so they need a ceiling of their own.
    return { status: 'rejected', reason: `bad_counts: ${d.samples} samples exceed the round's maxSamples ${policy.maxSamples}`, staleness: 0 };
  }
  const staleness = registry.releasedBetween(d.baseVersion, current);
  return judgeStaleness(staleness, policy, { baseVersion: d.baseVersion, currentVersion: current });
}

function duplicateVerdict(store: CentralStore, d: DeltaAdmission): NonNullable<AdmitResult> {
  const existing = store.deltas.get(d.deltaId);
  if (existing && existing.nodeId !== d.nodeId) {
    return { status: 'rejected', reason: 'delta_id_conflict: deltaId already used by another node', roundId: null };
  }
  if (existing && (existing.status === 'rejected' || existing.status === 'quarantined')) {
    return { status: 'rejected', reason: existing.reason ?? existing.status, roundId: null };
  }
  return { status: 'duplicate', roundId: existing?.roundId ?? null };
}
