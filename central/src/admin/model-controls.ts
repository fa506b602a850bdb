import { DomainError } from '@edgerec/proto-schemas';
import type { CentralService } from '../central-service.js';
import type { CentralStore, ModelVersionInfo } from '../store/index.js';
import type { AdminContext } from './admin-context.js';
import type { ModelView } from './admin-schemas.js';
import { audit, readCanary } from './admin-state.js';
import type { AdminActor } from './admin-tokens.js';
import { afterCanaryEnded, endCanaryInTx } from './canary-rollout.js';
import { registerCopy, requireVersion } from './model-copies.js';

const LINEAGE_DEPTH = 20;

/** Registered versions, newest first, with metrics, parent and ancestry. */
export function listModels(central: CentralService, limit = 100): { activeVersion: number; models: ModelView[] } {
  const { store } = central;
  const active = central.activeVersion();
  const canary = readCanary(store);
  const list = store.registry.list(limit);
  const known = new Map<number, ModelVersionInfo | null>(list.map((m) => [m.version, m]));
  const parentOf = (v: number): number | null => {
    if (!known.has(v)) known.set(v, store.registry.get(v));
    return known.get(v)?.parent ?? null;
  };
  const models = list.map((m): ModelView => {
    const lineage: number[] = [];
    for (let p = m.parent; p !== null && lineage.length < LINEAGE_DEPTH && !lineage.includes(p); p = parentOf(p)) lineage.push(p);
    return {
      version: m.version, parent: m.parent, lineage, status: m.status, active: m.version === active,
      canary: canary?.version === m.version, createdAt: m.createdAt, roundId: m.roundId, reason: m.reason,
      metrics: m.metrics, sha256: m.sha256, size: m.size, patchSize: m.patchSize,
    };
  });
  return { activeVersion: active, models };
}

/** The int8 snapshot of a version (404 when unknown). */
export function artifactOf(store: CentralStore, v: number): { bytes: Uint8Array; info: ModelVersionInfo } {
  const info = requireVersion(store, v);
  return { bytes: store.registry.artifact(v)!, info };
}

/**
 * Promotes version `v` (a gate-rejected candidate, or the running canary) to every edge.
 * Only forward: `v` must be newer than the active version — to go back, roll back.
 */
export async function promoteVersion(ctx: AdminContext, actor: AdminActor, v: number, reason?: string) {
  const { central } = ctx;
  const { store } = central;
  requireVersion(store, v);
  const check = (active: number) => {
    if (v === active) throw new DomainError('already_active', 409, `v${v} is already the active model`);
    if (v < active) throw new DomainError('not_newer', 409, `v${v} is older than the active v${active}; edges only move forward — use POST /admin/models/${v}/rollback`);
  };
  check(central.activeVersion());
  const canary = readCanary(store);
  if (canary && canary.version !== v && v < canary.version) {
    throw new DomainError('canary_running', 409, `canary edges run v${canary.version}, newer than v${v}; end the canary first`);
  }
  let resumed: string[] = [];
  await central.switchModel((current) => {
    check(current.version);
    store.registry.setStatus(v, 'promoted', `promoted by ${actor.name}${reason ? `: ${reason}` : ''}`);
    if (canary) resumed = endCanaryInTx(store, canary);
    audit(store, actor, ctx.now(), 'model.promote', `v${v}`, { reason, from: current.version, endedCanary: canary?.version ?? null });
    return v;
  }, `superseded: v${v} promoted by an operator`);
  if (canary) await afterCanaryEnded(ctx, canary, resumed);
  ctx.notify('model');
  return { ok: true as const, activeVersion: central.activeVersion() };
}

/**
 * Rolls back to version `v`: its weights are re-released as a NEW version (parent = the
 * current one, same snapshot bytes, patch from the current one), so edges move forward to
 * it; the version rolled back from is marked `rolled-back`. Only versions that were
 * released (promoted or rolled-back) can be rolled back to.
 */
export async function rollbackTo(ctx: AdminContext, actor: AdminActor, v: number, reason?: string) {
  const { central } = ctx;
  const { store } = central;
  const info = requireVersion(store, v);
  if (info.status !== 'promoted' && info.status !== 'rolled-back') {
    throw new DomainError('never_released', 409, `v${v} is ${info.status}: only a released version can be rolled back to`);
  }
  if (v === central.activeVersion()) throw new DomainError('already_active', 409, `v${v} is already the active model`);
  const canary = readCanary(store);
  let resumed: string[] = [];
  const version = await central.switchModel((current) => {
    if (v === current.version) throw new DomainError('already_active', 409, `v${v} is already the active model`);
    const who = `${actor.name}${reason ? `: ${reason}` : ''}`;
    const n = registerCopy(store, v, current, 'promoted', `rollback to v${v} by ${who}`, ctx.now());
    store.registry.setStatus(current.version, 'rolled-back', `rolled back to v${v} (released as v${n}) by ${who}`);
    if (canary) resumed = endCanaryInTx(store, canary);
    audit(store, actor, ctx.now(), 'model.rollback', `v${v}`, { reason, from: current.version, newVersion: n });
    return n;
  }, `superseded: rollback to v${v}`);
  if (canary) await afterCanaryEnded(ctx, canary, resumed);
  ctx.notify('model');
  return { ok: true as const, rolledBackTo: v, activeVersion: version };
}
