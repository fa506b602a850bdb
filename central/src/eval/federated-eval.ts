import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateModel, type ModelHolder } from '@edgerec/edge';
import { EdgeSyncClient, ManifestTrust, ManualScheduler as EdgeScheduler, offlineWill } from '@edgerec/edge/sync/index';
import { MemoryBroker, MemoryTransport } from '@edgerec/services/bus';
import {
  accumulateLoo, evaluateLoo, ItemPopularityScorer, leaveOneOut, partitionByRegion, partitionRandom, RankingMetrics,
  SeededRandom, splitToEdges, type Dataset, type LooSplit,
} from '@edgerec/services/data';
import { mulberry32 } from '@edgerec/services/federation';
import { trainCentralized, type ModelConfig, type UserState } from '@edgerec/services/model';
import { openEdgeDatabase, type EdgeDatabase } from '@edgerec/services/store';
import { pino } from 'pino';
import { ManualScheduler } from '@edgerec/services/common';
import { typedArrayBackend } from '../backend/index.js';
import { silentLogger } from '../central-logger.js';
import { startCentral, type CentralService } from '../central-service.js';
import { modelScorer, toReport, type EvalReport } from './centralized-eval.js';

/** `--compression` of `edgerec eval` → the uplink codec of the round policy. */
const CODECS = { none: 'none', int8: 'int8', topk: 'topk-int8' } as const;

export interface FederatedEvalOptions {
  negatives: number;
  seed: number;
  /** passes over each edge's data in total (the centralized run's epochs) */
  epochs: number;
  config: ModelConfig;
  edges: number;
  partition: 'region' | 'random';
  /** federated rounds (default: `epochs`, one local pass per round) */
  rounds?: number;
  compression: keyof typeof CODECS;
  /** FedAvg server learning rate (default 1) */
  serverLr?: number;
  /** entries per row kept by `topk` (default 8 % of dim: 5 of 64, which keeps the uplink under 5 % of dense) */
  topK?: number;
  onRound?: (round: number, rounds: number) => void;
}

export type FederatedEvalReport = EvalReport & {
  mode: 'federated';
  edges: number;
  partition: 'region' | 'random';
  rounds: number;
  compression: keyof typeof CODECS;
  /** encoded delta bytes the edges sent */
  bytes_up: number;
  /** model artifact chunk bytes the edges received (snapshots and patches) */
  bytes_down: number;
  /** float32 size of the same delta rows */
  dense_bytes_up: number;
  uplink_ratio: number;
  /** central's promoted version at the end (1 + rounds when every round was promoted) */
  model_version: number;
  seconds: number;
};

/** One simulated edge: a real SQLite store, model holder and sync client, plus its users' data. */
interface SimEdge {
  id: string;
  edb: EdgeDatabase;
  holder: ModelHolder;
  sync: EdgeSyncClient;
  users: number[];
  sequences: Uint32Array[];
  states: UserState[];
  rng: SeededRandom;
}

/**
 * Federated leave-one-out evaluation that runs the real protocol in process: central
 * (`startCentral` over a MemoryBroker, FedAvg, the chosen uplink codec) and `edges` edge sync
 * clients with their own SQLite stores. Users are partitioned by region (ml-100k: first zip
 * digit) or at random; each edge holds only its users' train sequences and private user
 * states. Every round each edge trains `epochs / rounds` local passes over its users (the
 * centralized trainer on the edge's model), extracts and publishes its delta; central
 * aggregates (sparse FedAvg weighted by row counts), signs and publishes the new version;
 * edges verify, install and rebase. Each user is finally scored by its edge's model (the
 * last global weights plus the edge's private user vector), metrics merged across edges.
 *
 * @example
 * const r = await runFederatedEval(ds, { negatives: 100, seed: 7, epochs: 20, config, edges: 10, partition: 'region', compression: 'topk' });
 * r['hr@10']; r.uplink_ratio;
 */
export async function runFederatedEval(ds: Dataset, opts: FederatedEvalOptions, now: () => number = Date.now): Promise<FederatedEvalReport> {
  const t0 = now();
  const rounds = opts.rounds ?? opts.epochs;
  const localEpochs = Math.max(1, Math.round(opts.epochs / rounds));
  const split = leaveOneOut(ds, { negatives: opts.negatives, seed: opts.seed });
  const partition = opts.partition === 'region' ? partitionByRegion(ds) : partitionRandom(ds, opts.edges, opts.seed);
  const userGroups = splitToEdges(ds, partition, opts.edges);
  const dataDir = mkdtempSync(join(tmpdir(), 'edgerec-fed-eval-'));
  const broker = new MemoryBroker();
  let central: CentralService | null = null;
  const edges: SimEdge[] = [];
  try {
    central = await startCentral({
      dataDir: join(dataDir, 'central'), transport: new MemoryTransport(broker, { clientId: 'edgerec-central', persistent: true }),
      scheduler: new ManualScheduler(), backend: typedArrayBackend, logger: silentLogger, env: {}, rng: mulberry32(opts.seed),
      policy: {
        minNodes: opts.edges, codec: CODECS[opts.compression],
        ...(opts.compression === 'topk' ? { topK: opts.topK ?? Math.max(1, Math.round(0.08 * opts.config.dim)) } : {}),
        strategy: { name: 'fedavg', params: { serverLr: opts.serverLr ?? 1 } },
      },
      model: { numItems: ds.numItems, config: opts.config, seed: opts.seed },
    });
    for (let e = 0; e < opts.edges; e++) edges.push(await startEdge(e, central, broker, split, userGroups[e], opts, dataDir));
    await Promise.all(edges.map((edge) => edge.sync.waitForVersion(1, 60_000)));
    for (const edge of edges) edge.states = edge.users.map(() => edge.holder.model.newUser(edge.rng.nextFloat));
    for (let round = 1; round <= rounds; round++) {
      for (const edge of edges) {
        trainCentralized({ numItems: ds.numItems, sequences: edge.sequences }, opts.config, {
          epochs: localEpochs, rng: edge.rng.nextFloat, model: edge.holder.model, users: edge.states,
        });
        await edge.sync.syncNow('admin');
      }
      await Promise.all(edges.map((edge) => edge.sync.waitForVersion(round + 1, 120_000)));
      opts.onRound?.(round, rounds);
    }
    const res = mergedLoo(edges, split);
    const pop = evaluateLoo(ItemPopularityScorer.fromSplit(split), split, { full: false });
    const sum = async (pick: (s: EdgeSyncClient) => { get(): Promise<{ values: { value: number }[] }> }) =>
      (await Promise.all(edges.map(async (x) => (await pick(x.sync).get()).values.reduce((s, v) => s + v.value, 0)))).reduce((s, v) => s + v, 0);
    const bytesUp = await sum((s) => s.metrics.bytesUp);
    const denseUp = await sum((s) => s.metrics.denseBytesUp);
    const bytesDown = await sum((s) => s.metrics.bytesDown);
    return {
      mode: 'federated', ...toReport(res, pop, split, (now() - t0) / 1000), edges: opts.edges, partition: opts.partition, rounds,
      compression: opts.compression, bytes_up: bytesUp, bytes_down: bytesDown, dense_bytes_up: denseUp,
      uplink_ratio: denseUp > 0 ? bytesUp / denseUp : 0, model_version: central.activeVersion(), seconds: (now() - t0) / 1000,
    };
  } finally {
    for (const edge of edges) {
      await edge.sync.stop().catch(() => undefined);
      edge.edb.close();
    }
    await central?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function startEdge(
  e: number, central: CentralService, broker: MemoryBroker, split: LooSplit, users: number[], opts: FederatedEvalOptions, dataDir: string,
): Promise<SimEdge> {
  const id = `edge-${e}`;
  const edb = openEdgeDatabase(join(dataDir, `${id}.sqlite`), { durability: 'process' });
  const { holder } = loadOrCreateModel(edb, { numItems: split.numItems, modelConfig: opts.config, seed: opts.seed + e + 1, clock: Date.now });
  const rng = new SeededRandom(opts.seed * 1000 + e);
  const edge: SimEdge = { id, edb, holder, users, sequences: users.map((u) => split.trainByUser[u]), states: [], rng, sync: null! };
  edge.sync = new EdgeSyncClient({
    nodeId: id, region: `r${e}`, scheduler: new EdgeScheduler(), logger: pino({ level: 'silent' }),
    transport: new MemoryTransport(broker, { clientId: id, persistent: true, will: offlineWill(id, `r${e}`) }),
    trust: new ManifestTrust(new Map([[central.signer.keyId, central.signer.publicKey]])),
    defaultCodec: CODECS[opts.compression], rng: mulberry32(opts.seed + 7919 * (e + 1)), newId: seededUuid(mulberry32(opts.seed * 31 + e)),
    evaluate: () => edgeMetrics(edge, split, false),
  });
  await edge.sync.start({ holder, checkpoint: () => {}, edb });
  return edge;
}

/** The edge's users scored by its model: last global weights plus the edge's private vectors. */
function edgeMetrics(edge: SimEdge, split: LooSplit, full: boolean) {
  if (edge.states.length === 0) return null;
  const byUser: UserState[] = [];
  edge.users.forEach((u, j) => (byUser[u] = edge.states[j]));
  const m = accumulateLoo(modelScorer(edge.holder.model, byUser), split, { users: edge.users, full });
  const s = m.sampled.get();
  return { hr10: s.hr, ndcg10: s.ndcg, users: s.count, metrics: m };
}

function mergedLoo(edges: SimEdge[], split: LooSplit) {
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
function seededUuid(rng: () => number): () => string {
  return () => {
    const h = Array.from({ length: 32 }, () => Math.floor(rng() * 16).toString(16));
    h[12] = '4';
    h[16] = '8';
    const s = h.join('');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  };
}
