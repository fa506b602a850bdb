import { createHash } from 'node:crypto';
import { DomainError, encode, MAX_CHUNK_BYTES, TOPIC_ID_PATTERN, TOPIC_PREFIX, topics, type ModelChunkMsg } from '@edgerec/proto-schemas';
import { splitChunks } from '@edgerec/services/compression';
import { ActiveModel } from '../aggregator/index.js';
import { KV_KEYS, type CentralStore } from '../store/index.js';
import { publishControl, type AdminContext } from './admin-context.js';
import type { CanaryBody, CanaryView } from './admin-schemas.js';
import { ADMIN_KV, audit, readCanary, type CanaryState } from './admin-state.js';
import type { AdminActor } from './admin-tokens.js';
import { registerCopy, requireVersion } from './model-copies.js';

/**
 * Canary rollout (DESIGN §4). Design: the canary version's signed manifest goes to a
 * per-node retained topic `edgerec/v1/models/canary/{nodeId}` instead of the global
 * `models/manifest`; its snapshot chunks are retained on the usual `models/{v}/chunks/i`.
 * An edge subscribed to its own canary topic treats a manifest there exactly like the
 * global one (newer version → verify → swap). The broker ACL already lets central publish
 * and nodes read under `models/#`. Canary nodes are paused for rounds meanwhile: their
 * deltas are based on a version the rest does not run.
 */
export const canaryTopic = (nodeId: string): string => topics.modelCanary(nodeId);

/** A stable pseudo-random `fraction` of `ids` (at least one): rank by sha256(version:id). */
export function chooseFraction(ids: readonly string[], fraction: number, version: number): string[] {
  const ranked = [...ids].sort((a, b) => rank(version, a).localeCompare(rank(version, b)));
  return ranked.slice(0, Math.max(1, Math.ceil(fraction * ids.length))).sort();
}
const rank = (version: number, id: string): string => createHash('sha256').update(`${version}:${id}`).digest('hex');

function pickNodes(store: CentralStore, version: number, body: CanaryBody): string[] {
  const known = new Map(store.nodes.list().map((n) => [n.nodeId, n]));
  if (body.nodeIds) {
    const unknown = body.nodeIds.filter((id) => !known.has(id));
    if (unknown.length) throw new DomainError('unknown_node', 404, `unknown node(s): ${unknown.slice(0, 10).join(', ')}`);
    return [...new Set(body.nodeIds)].sort();
  }
  const eligible = [...known.values()].filter((n) => n.online && !n.quarantined && !n.paused).map((n) => n.nodeId);
  if (eligible.length === 0) throw new DomainError('no_eligible_nodes', 409, 'no online, unpaused, unquarantined node to canary on');
  return chooseFraction(eligible, body.fraction!, version);
}

/**
 * Starts a canary of version `v` on some nodes. A version at or below the active one is
 * first re-registered under a new number (edges only move forward).
 */
export async function startCanary(ctx: AdminContext, actor: AdminActor, v: number, body: CanaryBody) {
  const { central } = ctx;
  const { store } = central;
  requireVersion(store, v);
  const running = readCanary(store);
  if (running) throw new DomainError('canary_running', 409, `a canary of v${running.version} is running; promote it or DELETE it first`);
  const active = central.activeVersion();
  if (v === active) throw new DomainError('already_active', 409, `v${v} is the active model`);
  const nodeIds = pickNodes(store, v, body);
  const state = store.transaction((): CanaryState => {
    const version = v > active
      ? v
      : registerCopy(store, v, { version: active, weights: ActiveModel.weightsOf(store, active) }, 'candidate', `canary copy of v${v} by ${actor.name}`, ctx.now());
    const pausedBefore = nodeIds.filter((id) => store.nodes.get(id)?.paused);
    const s: CanaryState = { version, sourceVersion: v, baseVersion: active, nodeIds, pausedBefore, startedAt: ctx.now(), startedBy: actor.name };
    store.kv.set(ADMIN_KV.canary, s);
    for (const id of nodeIds) store.nodes.setPaused(id, true);
    audit(store, actor, ctx.now(), 'model.canary.start', `v${v}`, { reason: body.reason, version, nodeIds, fraction: body.fraction });
    return s;
  });
  await publishCanary(ctx, state);
  await publishControl(ctx, { v: 1, type: 'pause', nodeIds });
  central.rounds.nodesChanged();
  ctx.notify('model');
  ctx.notify('node');
  return { ok: true as const, version: state.version, sourceVersion: v, nodeIds };
}

async function publishCanary(ctx: AdminContext, s: CanaryState): Promise<void> {
  const { store, publisher, transport } = ctx.central;
  const manifest = publisher.manifestFor(s.version);
  const parts = splitChunks(store.registry.artifact(s.version)!, manifest.chunkSize ?? MAX_CHUNK_BYTES);
  for (let index = 0; index < parts.length; index++) {
    const msg: ModelChunkMsg = { v: 1, version: s.version, index, count: parts.length, kind: 'snapshot', data: parts[index] };
    await transport.publish(topics.modelChunk(s.version, index), encode(msg), { retain: true });
  }
  // Register the retained chunks so the publisher clears them once no longer needed.
  const retained = store.kv.get<Record<string, number>>(KV_KEYS.retainedVersions) ?? {};
  store.kv.set(KV_KEYS.retainedVersions, { ...retained, [String(s.version)]: parts.length });
  const payload = encode(manifest);
  for (const id of s.nodeIds) await transport.publish(canaryTopic(id), payload, { retain: true });
}

/** Ends the canary bookkeeping inside the caller's transaction; returns the nodes to resume. */
export function endCanaryInTx(store: CentralStore, s: CanaryState): string[] {
  const resume = s.nodeIds.filter((id) => !s.pausedBefore.includes(id));
  for (const id of resume) store.nodes.setPaused(id, false);
  store.kv.set(ADMIN_KV.canary, null);
  return resume;
}

/** After the commit: clear the per-node manifests and let the canary nodes sync again. */
export async function afterCanaryEnded(ctx: AdminContext, s: CanaryState, resumed: string[]): Promise<void> {
  for (const id of s.nodeIds) await ctx.central.transport.publish(canaryTopic(id), new Uint8Array(0), { retain: true });
  if (resumed.length) await publishControl(ctx, { v: 1, type: 'resume', nodeIds: resumed });
  ctx.central.rounds.nodesChanged();
}

/**
 * Aborts the canary. When the canary edges are ahead of the active model, the active
 * weights are re-released under a new version so every edge converges (forward only).
 */
export async function abortCanary(ctx: AdminContext, actor: AdminActor, v: number, reason?: string) {
  const { central } = ctx;
  const { store } = central;
  const s = readCanary(store);
  if (!s || (s.version !== v && s.sourceVersion !== v)) throw new DomainError('no_canary', 404, `no canary of v${v} is running`);
  const mark = (active: number) => {
    const info = store.registry.get(s.version);
    if (info && (info.status === 'candidate' || info.status === 'rejected')) {
      const note = `canary aborted by ${actor.name}${reason ? `: ${reason}` : ''}`;
      store.registry.setStatus(s.version, 'rejected', info.reason ? `${info.reason}; ${note}` : note);
    }
    const resumed = endCanaryInTx(store, s);
    audit(store, actor, ctx.now(), 'model.canary.abort', `v${v}`, { reason, version: s.version, activeVersion: active });
    return resumed;
  };
  let resumed: string[] = [];
  let released: number | null = null;
  if (central.activeVersion() < s.version) {
    released = await central.switchModel((current) => {
      const n = registerCopy(store, current.version, current, 'promoted', `re-release of v${current.version} after the canary of v${s.version} was aborted`, ctx.now());
      resumed = mark(n);
      return n;
    }, `superseded: canary of v${s.version} aborted`);
  } else {
    resumed = store.transaction(() => mark(central.activeVersion()));
  }
  await afterCanaryEnded(ctx, s, resumed);
  ctx.notify('model');
  ctx.notify('node');
  return { ok: true as const, version: s.version, rereleasedAs: released };
}

function merged(store: CentralStore, version: number, include: (nodeId: string) => boolean) {
  const rows = store.db
    .prepare<[number], { node_id: string; hr10: number; ndcg10: number; users: number }>('SELECT node_id, hr10, ndcg10, users FROM node_evals WHERE version = ? AND users > 0')
    .all(version)
    .filter((r) => include(r.node_id));
  const users = rows.reduce((s, r) => s + r.users, 0);
  if (users === 0) return null;
  const w = (f: (r: (typeof rows)[number]) => number) => rows.reduce((s, r) => s + f(r) * r.users, 0) / users;
  return { hr10: w((r) => r.hr10), ndcg10: w((r) => r.ndcg10), users, nodes: rows.length };
}

/**
 * The running canary of `v`: federated metrics of the canary version on the canary nodes
 * against those of the active version on every other node (both from the edges' own
 * held-out events, newest report per node).
 */
export function canaryView(store: CentralStore, activeVersion: number, v: number): CanaryView {
  const s = readCanary(store);
  if (!s || (s.version !== v && s.sourceVersion !== v)) throw new DomainError('no_canary', 404, `no canary of v${v} is running`);
  const inCanary = new Set(s.nodeIds);
  const canary = merged(store, s.version, (id) => inCanary.has(id));
  const rest = merged(store, activeVersion, (id) => !inCanary.has(id));
  return {
    version: s.version, sourceVersion: s.sourceVersion, baseVersion: s.baseVersion, running: activeVersion < s.version,
    nodeIds: s.nodeIds, startedAt: s.startedAt, startedBy: s.startedBy, canary, rest,
    hr10Delta: canary && rest ? canary.hr10 - rest.hr10 : null,
    ndcg10Delta: canary && rest ? canary.ndcg10 - rest.ndcg10 : null,
  };
}
