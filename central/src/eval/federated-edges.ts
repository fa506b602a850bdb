import { join } from 'node:path';
import type { DeltaCodec } from '@edgerec/proto-schemas';
import { loadOrCreateModel, type ModelHolder } from '@edgerec/edge';
import { EdgeSyncClient, ManifestTrust, ManualScheduler as EdgeScheduler, offlineWill, unsyncedDelta } from '@edgerec/edge/sync/index';
import { MemoryTransport, type MemoryBroker } from '@edgerec/services/bus';
import { accumulateLoo, RankingMetrics, SeededRandom, type LooSplit } from '@edgerec/services/data';
import { mulberry32 } from '@edgerec/services/federation';
import type { ModelConfig, UserState } from '@edgerec/services/model';
import { openEdgeDatabase, type EdgeDatabase } from '@edgerec/services/store';
import { pino } from 'pino';
import type { CentralService } from '../central-service.js';
import { modelScorer } from './centralized-eval.js';
import { inflateClaims, poisonLocalWeights, type EdgeAttack, type PoisonStats } from './delta-poisoning.js';

/** One simulated edge: a real SQLite store, model holder and sync client, plus its users' data. */
export interface SimEdge {
  index: number;
  id: string;
  edb: EdgeDatabase;
  holder: ModelHolder;
  sync: EdgeSyncClient;
  users: number[];
  sequences: Uint32Array[];
  states: UserState[];
  rng: SeededRandom;
}

export interface SimEdgeOptions {
  seed: number;
  config: ModelConfig;
  codec: DeltaCodec;
  dataDir: string;
}

/**
 * Starts edge `e` (`edge-{e}`, region `r{e}`) on the broker with its own SQLite file,
 * trusting central's signing key, with seeded ids and randomness so runs repeat exactly.
 *
 * @example
 * const edge = await startSimEdge(0, central, broker, split, users, { seed: 7, config, codec: 'none', dataDir });
 */
export async function startSimEdge(
  e: number, central: CentralService, broker: MemoryBroker, split: LooSplit, users: number[], o: SimEdgeOptions,
): Promise<SimEdge> {
  const id = `edge-${e}`;
  const edb = openEdgeDatabase(join(o.dataDir, `${id}.sqlite`), { durability: 'process' });
  const { holder } = loadOrCreateModel(edb, { numItems: split.numItems, modelConfig: o.config, seed: o.seed + e + 1, clock: Date.now });
  const rng = new SeededRandom(o.seed * 1000 + e);
  const edge: SimEdge = { index: e, id, edb, holder, users, sequences: users.map((u) => split.trainByUser[u]), states: [], rng, sync: null! };
  edge.sync = new EdgeSyncClient({
    nodeId: id, region: `r${e}`, scheduler: new EdgeScheduler(), logger: pino({ level: 'silent' }),
    transport: new MemoryTransport(broker, { clientId: id, persistent: true, will: offlineWill(id, `r${e}`) }),
    trust: new ManifestTrust(new Map([[central.signer.keyId, central.signer.publicKey]])),
    defaultCodec: o.codec, rng: mulberry32(o.seed + 7919 * (e + 1)), newId: seededUuid(mulberry32(o.seed * 31 + e)),
    evaluate: () => edgeMetrics(edge, split, false),
  });
  await edge.sync.start({ holder, checkpoint: () => {}, edb });
  return edge;
}

/**
 * Turns the edge's honest learning since its last extraction into the attack's delta: the
 * honest delta is computed exactly as the sync client will (local − reference, else base,
 * over the tracked rows), then the local model is rewritten so the next extraction sends the
 * manipulated one; a count attack also inflates the counts the tracker will report.
 */
export function poisonEdge(edge: SimEdge, attack: EdgeAttack, normal: () => number): PoisonStats {
  const model = edge.holder.model;
  const honest = unsyncedDelta(model.weights, edge.holder.base, edge.edb.syncRef.load(), model.tracker);
  const stats = poisonLocalWeights(model.weights, honest, attack, normal);
  if (attack.countFactor !== undefined || attack.samplesFactor !== undefined) inflateClaims(model.tracker, attack);
  return stats;
}

/** Uplink bytes (encoded and as dense float32) and downlink bytes over all edges, from their sync metrics. */
export async function trafficOf(edges: readonly SimEdge[]): Promise<{ bytesUp: number; denseUp: number; bytesDown: number }> {
  const sum = async (pick: (s: EdgeSyncClient) => { get(): Promise<{ values: { value: number }[] }> }) =>
    (await Promise.all(edges.map(async (x) => (await pick(x.sync).get()).values.reduce((s, v) => s + v.value, 0)))).reduce((s, v) => s + v, 0);
  return {
    bytesUp: await sum((s) => s.metrics.bytesUp),
    denseUp: await sum((s) => s.metrics.denseBytesUp),
    bytesDown: await sum((s) => s.metrics.bytesDown),
  };
}

/** The edge's users scored by its model: last global weights plus the edge's private vectors. */
export function edgeMetrics(edge: SimEdge, split: LooSplit, full: boolean) {
  if (edge.states.length === 0) return null;
  const byUser: UserState[] = [];
  edge.users.forEach((u, j) => (byUser[u] = edge.states[j]));
  const m = accumulateLoo(modelScorer(edge.holder.model, byUser), split, { users: edge.users, full });
  const s = m.sampled.get();
  return { hr10: s.hr, ndcg10: s.ndcg, users: s.count, metrics: m };
}

/** Leave-one-out metrics of the given edges' users, merged (per-user averages over all of them). */
export function mergedLoo(edges: readonly SimEdge[], split: LooSplit) {
  const sampled = new RankingMetrics(10);
  const full = new RankingMetrics(10);
  for (const edge of edges) {
    const r = edgeMetrics(edge, split, true);
    if (!r) continue;
    sampled.merge(r.metrics.sampled);
    if (r.metrics.full) full.merge(r.metrics.full);
  }
  const s = sampled.get();
  const f = full.get();
  return { hr10: s.hr, ndcg10: s.ndcg, hr10Full: f.hr, ndcg10Full: f.ndcg, users: s.count };
}

/** UUIDv4-shaped ids from a seeded source: central orders a round's deltas by id, so runs repeat exactly. */
export function seededUuid(rng: () => number): () => string {
  return () => {
    const h = Array.from({ length: 32 }, () => Math.floor(rng() * 16).toString(16));
    h[12] = '4';
    h[16] = '8';
    const s = h.join('');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  };
}
