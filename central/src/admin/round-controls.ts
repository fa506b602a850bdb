import { DomainError, formatIssues } from '@edgerec/proto-schemas';
import { CentralRoundPolicy } from '../aggregator/index.js';
import type { CentralService } from '../central-service.js';
import { queryIntake, queryRounds } from '../reports/index.js';
import { publishControl, type AdminContext } from './admin-context.js';
import type { PolicyUpdate, RoundView, TriggerBody } from './admin-schemas.js';
import { ADMIN_KV, audit, readCanary } from './admin-state.js';
import type { AdminActor } from './admin-tokens.js';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The round timeline, newest first. */
export function listRounds(central: CentralService, limit: number): RoundView[] {
  const db = central.store.db;
  const rounds = queryRounds(db, limit);
  const intake = queryIntake(db, rounds[0]?.id ?? 0);
  return rounds
    .map((r): RoundView => {
      const mine = intake.filter((x) => x.roundId === r.id);
      const strategy = CentralRoundPolicy.safeParse(r.policy);
      return {
        id: r.id, state: r.state, baseVersion: r.baseVersion, candidateVersion: r.candidateVersion, openedAt: r.openedAt,
        closedAt: r.closedAt, deadline: r.deadline, participants: mine.length, nodeIds: mine.map((x) => x.nodeId),
        samples: mine.reduce((s, x) => s + x.samples, 0), deltas: mine.reduce((s, x) => s + x.deltas, 0),
        bytesUp: mine.reduce((s, x) => s + x.bytes, 0), aggregationMs: num(r.stats?.aggregationMs),
        strategy: strategy.success ? strategy.data.strategy.name : 'unknown', reason: r.reason,
      };
    })
    .reverse();
}

export function syncStatus(central: CentralService) {
  const canary = readCanary(central.store);
  return {
    stopped: central.rounds.suspended,
    activeVersion: central.activeVersion(),
    currentRound: central.rounds.currentRound?.id ?? null,
    canary: canary ? { version: canary.version, nodeIds: canary.nodeIds } : null,
  };
}

/**
 * "Trigger a round now": the open round stays the one deltas count into; edges are told
 * to sync at once (`sync-now`), and the round closes as soon as every expected node
 * reported (or at its deadline). 409 while sync is stopped.
 */
export async function triggerRound(ctx: AdminContext, actor: AdminActor, body: TriggerBody) {
  const { central } = ctx;
  if (central.rounds.suspended) throw new DomainError('sync_stopped', 409, 'federated sync is stopped; POST /admin/sync/start first');
  const round = central.rounds.currentRound;
  if (!round) throw new DomainError('no_open_round', 409, 'no round is open (central is starting or stopping)');
  central.store.transaction(() => audit(central.store, actor, ctx.now(), 'round.trigger', String(round.id), { reason: body.reason, nodeIds: body.nodeIds }));
  await publishControl(ctx, { v: 1, type: 'sync-now', ...(body.nodeIds ? { nodeIds: body.nodeIds } : {}) });
  ctx.notify('round');
  return { ok: true as const, roundId: round.id, requested: 'sync-now' };
}

/** Closes the open round now (aggregating what it has, or abandoning it when empty). */
export async function closeCurrentRound(ctx: AdminContext, actor: AdminActor, reason?: string) {
  const { central } = ctx;
  const open = central.rounds.currentRound;
  if (!open) throw new DomainError('no_open_round', 404, 'no round is open');
  const closed = await central.rounds.closeNow('operator');
  if (closed === null) throw new DomainError('no_open_round', 404, 'no round is open');
  const round = central.store.rounds.get(closed)!;
  central.store.transaction(() => audit(central.store, actor, ctx.now(), 'round.close', String(closed), { reason, outcome: round.state }));
  ctx.notify('round');
  ctx.notify('model');
  return { ok: true as const, roundId: closed, state: round.state, reason: round.reason, nextRound: central.rounds.currentRound?.id ?? null };
}

/** Stop or start federated sync (persisted: a restarted central stays stopped). */
export async function setSyncStopped(ctx: AdminContext, actor: AdminActor, stopped: boolean, reason?: string) {
  const { central } = ctx;
  central.store.transaction(() => {
    central.store.kv.set(ADMIN_KV.syncStopped, stopped);
    audit(central.store, actor, ctx.now(), stopped ? 'sync.stop' : 'sync.start', null, { reason, wasStopped: central.rounds.suspended });
  });
  if (stopped) await central.rounds.suspend();
  await publishControl(ctx, { v: 1, type: stopped ? 'pause' : 'resume' });
  if (!stopped) await central.rounds.resume();
  ctx.notify('sync');
  ctx.notify('round');
  return { ok: true as const, ...syncStatus(central) };
}

/** The policy rounds opened from now on get. */
export function currentPolicy(central: CentralService): CentralRoundPolicy {
  return central.rounds.nextPolicy;
}

/**
 * Merges `update` into the current policy (`null` clears an optional field), validates the
 * result as a whole, persists it with the audit row and applies it to the next rounds.
 */
export function updatePolicy(ctx: AdminContext, actor: AdminActor, update: PolicyUpdate) {
  const { central } = ctx;
  const { reason, ...changes } = update;
  const before = currentPolicy(central);
  const merged: Record<string, unknown> = { ...before };
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) delete merged[k];
    else merged[k] = v;
  }
  const r = CentralRoundPolicy.safeParse(merged);
  if (!r.success) throw new DomainError('invalid_policy', 400, formatIssues(r.error));
  central.store.transaction(() => {
    central.store.kv.set(ADMIN_KV.policy, r.data);
    audit(central.store, actor, ctx.now(), 'policy.update', null, { reason, changes, before });
  });
  central.rounds.setPolicy(r.data);
  ctx.notify('policy');
  return { ok: true as const, policy: r.data, appliesFrom: 'next round' };
}

/**
 * Re-applies persisted operator state to a freshly started central: a stored policy wins
 * over the CLI flags, and a stopped sync stays stopped.
 */
export async function restoreAdminState(central: CentralService): Promise<void> {
  const raw = central.store.kv.get(ADMIN_KV.policy);
  const stored = CentralRoundPolicy.safeParse(raw);
  if (raw !== null && stored.success) central.rounds.setPolicy(stored.data);
  if (central.store.kv.get<boolean>(ADMIN_KV.syncStopped) === true && !central.rounds.suspended) await central.rounds.suspend();
}
