import { z } from 'zod';
import { NodeId } from '@edgerec/proto-schemas';
import type { CentralStore } from '../store/index.js';
import type { AdminActor } from './admin-tokens.js';

/**
 * Operator state that must survive a restart lives in central's `kv` table under these
 * keys (next to the aggregator's own KV_KEYS). Written in the same transaction as the
 * audit row of the action that changed it.
 */
export const ADMIN_KV = {
  /** true while an operator has stopped federated sync */
  syncStopped: 'admin_sync_stopped',
  /** the round policy an operator set (wins over CLI flags after a restart) */
  policy: 'admin_policy',
  /** the running canary rollout, if any */
  canary: 'admin_canary',
} as const;

/**
 * A canary rollout: `version` is published to `nodeIds` only (their per-node manifest
 * topic); `sourceVersion` is what the operator picked (differs when an older version was
 * copied to a new number, since edges only move forward). `pausedBefore` are the canary
 * nodes that were already paused, so ending the canary restores exactly that.
 */
export const CanaryState = z.object({
  version: z.int().min(1),
  sourceVersion: z.int().min(1),
  baseVersion: z.int().min(1),
  nodeIds: z.array(NodeId).min(1),
  pausedBefore: z.array(NodeId),
  startedAt: z.number(),
  startedBy: z.string(),
});
export type CanaryState = z.infer<typeof CanaryState>;

/** Reads the running canary (null when none, or when the stored value is unreadable). */
export function readCanary(store: CentralStore): CanaryState | null {
  const r = CanaryState.safeParse(store.kv.get(ADMIN_KV.canary));
  return r.success ? r.data : null;
}

/**
 * Appends one audit row for an admin action; call it inside the transaction that makes
 * the change, so the log and the state cannot disagree.
 *
 * @example
 * store.transaction(() => { store.nodes.setPaused(id, true); audit(store, actor, now, 'node.pause', id, {}); });
 */
export function audit(
  store: CentralStore,
  actor: AdminActor,
  ts: number,
  action: string,
  target: string | null,
  details: Record<string, unknown> = {},
): void {
  store.audit.append({ ts, actor: actor.name, role: actor.role, action, target, details });
}
