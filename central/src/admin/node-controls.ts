import { DomainError, NodeStatusMsg } from '@edgerec/proto-schemas';
import type { CentralStore, NodeRecord } from '../store/index.js';
import { publishControl, type AdminContext } from './admin-context.js';
import type { NodeView } from './admin-schemas.js';
import { audit, readCanary } from './admin-state.js';
import type { AdminActor } from './admin-tokens.js';

const numberOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** A node as the admin API shows it: registry flags plus what its retained status said. */
export function nodeView(n: NodeRecord, canaryNodes: ReadonlySet<string>): NodeView {
  const s = NodeStatusMsg.partial().safeParse(n.status);
  const status = s.success ? s.data : {};
  return {
    nodeId: n.nodeId, region: n.region, online: n.online, lastSeen: n.lastSeen,
    modelVersion: numberOrNull(status.modelVersion), outboxSize: numberOrNull(status.outboxSize),
    eventsIngested: numberOrNull(status.eventsIngested), learnerLagMs: numberOrNull(status.learnerLagMs),
    quality: status.quality ?? {}, lastDeltaAt: n.lastDeltaAt, paused: n.paused, quarantined: n.quarantined,
    canary: canaryNodes.has(n.nodeId),
  };
}

/**
 * Every known node, and node ids grouped by region.
 *
 * @example
 * listNodes(store).regions; // { '1': ['edge-a', 'edge-b'], '2': ['edge-c'] }
 */
export function listNodes(store: CentralStore): { nodes: NodeView[]; regions: Record<string, string[]> } {
  const canary = new Set(readCanary(store)?.nodeIds ?? []);
  const nodes = store.nodes.list().map((n) => nodeView(n, canary));
  const regions: Record<string, string[]> = {};
  for (const n of nodes) (regions[n.region ?? '?'] ??= []).push(n.nodeId);
  return { nodes, regions };
}

function requireNode(store: CentralStore, nodeId: string): NodeRecord {
  const node = store.nodes.get(nodeId);
  if (!node) throw new DomainError('unknown_node', 404, `node ${nodeId} is not known to central`);
  return node;
}

/**
 * Pause (the node is no longer waited for by rounds, and is told to stop syncing) or
 * resume one node. Flag and audit row commit together.
 */
export async function setNodePaused(ctx: AdminContext, actor: AdminActor, nodeId: string, paused: boolean, reason?: string) {
  const { store } = ctx.central;
  const before = requireNode(store, nodeId);
  store.transaction(() => {
    store.nodes.setPaused(nodeId, paused);
    audit(store, actor, ctx.now(), paused ? 'node.pause' : 'node.resume', nodeId, { reason, wasPaused: before.paused });
  });
  await publishControl(ctx, { v: 1, type: paused ? 'pause' : 'resume', nodeIds: [nodeId] });
  ctx.central.rounds.nodesChanged();
  ctx.notify('node');
  return { ok: true as const, nodeId, paused };
}

/** Pause or resume every node central knows in `region` (404 when it knows none there). */
export async function setRegionPaused(ctx: AdminContext, actor: AdminActor, region: string, paused: boolean, reason?: string) {
  const { store } = ctx.central;
  const nodeIds = store.nodes.list().filter((n) => n.region === region).map((n) => n.nodeId);
  if (nodeIds.length === 0) throw new DomainError('unknown_region', 404, `no known node in region ${region}`);
  store.transaction(() => {
    for (const id of nodeIds) store.nodes.setPaused(id, paused);
    audit(store, actor, ctx.now(), paused ? 'region.pause' : 'region.resume', region, { reason, nodeIds });
  });
  await publishControl(ctx, { v: 1, type: paused ? 'pause' : 'resume', regions: [region] });
  ctx.central.rounds.nodesChanged();
  ctx.notify('node');
  return { ok: true as const, region, paused, nodeIds };
}

/**
 * Quarantine: the delta intake refuses the node's deltas from now on (it checks the flag
 * before reassembly), and the deltas it already got into the open round are marked
 * `quarantined` so the aggregation skips them — one transaction with the audit row.
 * Release lifts the flag; excluded deltas stay excluded.
 */
export async function setQuarantined(ctx: AdminContext, actor: AdminActor, nodeId: string, quarantined: boolean, reason?: string) {
  const { store, rounds } = ctx.central;
  requireNode(store, nodeId);
  const openRound = rounds.currentRound?.id ?? null;
  const exclude = store.db.prepare(
    `UPDATE received_deltas SET status = 'quarantined', weight = 0, reason = 'quarantined: node quarantined by an operator'
     WHERE round_id = ? AND node_id = ? AND status IN ('counted', 'late')`,
  );
  const excluded = store.transaction(() => {
    store.nodes.setQuarantined(nodeId, quarantined);
    const n = quarantined && openRound !== null ? exclude.run(openRound, nodeId).changes : 0;
    audit(store, actor, ctx.now(), quarantined ? 'node.quarantine' : 'node.release', nodeId, { reason, excludedDeltas: n, roundId: openRound });
    return n;
  });
  rounds.nodesChanged();
  ctx.notify('node');
  return { ok: true as const, nodeId, quarantined, excludedDeltas: excluded };
}
