import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { DomainError } from '@edgerec/proto-schemas';
import { type Durability, openEdgeDatabase } from '@edgerec/services/store';
import type { Hono } from 'hono';
import { pino, type Logger } from 'pino';
import { collectDefaultMetrics } from 'prom-client';
import { createEdgeApp } from './edge-app.js';
import { createEdgeCore, type EdgeCore, type EdgeCoreOptions } from './edge-core.js';
import type { SyncClient } from './sync-client.js';
import { keepConnectionsAlive } from '@edgerec/services/common';

export interface EdgeNodeOptions {
  id: string;
  region: string;
  /** 0 picks a free port */
  port: number;
  dbPath: string;
  host?: string;
  /** synthetic catalog size `i0 … i{N-1}` when the database is new (default 1000) */
  numItems?: number;
  dim?: number;
  seed?: number;
  logger?: Logger;
  durability?: Durability;
  /** cap on the SQLite file: past it, writes fail cleanly (POST /v1/events answers 507 storage_full) */
  maxDbBytes?: number;
  learner?: EdgeCoreOptions['learner'];
  rateLimit?: EdgeCoreOptions['rateLimit'];
  modelConfig?: EdgeCoreOptions['modelConfig'];
  sync?: SyncClient;
  /** HNSW serving for large catalogs (`--ann-min-items`); the index file is written next to `dbPath` */
  ann?: EdgeCoreOptions['ann'];
}

/** A running edge node. */
export interface EdgeNode {
  url: string;
  port: number;
  core: EdgeCore;
  app: Hono;
  /** Graceful stop: no new connections, sync stopped, learner checkpointed, database closed. */
  stop(): Promise<void>;
}

/**
 * Starts an edge node: opens (or creates) its SQLite file, loads or creates the model,
 * starts the learner and the sync client (no-op by default) and serves HTTP on
 * `host:port` (loopback by default).
 *
 * @example
 * const node = await startEdgeNode({ id: 'edge-1', region: 'eu', port: 0, dbPath: 'edge-1.db', numItems: 5000 });
 * await fetch(`${node.url}/v1/recommendations?user=u1`);
 * await node.stop();
 */
export async function startEdgeNode(opts: EdgeNodeOptions): Promise<EdgeNode> {
  const logger = opts.logger ?? pino({ level: 'info' }, pino.destination(2));
  const edb = openEdgeDatabase(opts.dbPath, { durability: opts.durability, checkpointWorker: true, maxBytes: opts.maxDbBytes });
  let core: EdgeCore;
  try {
    core = createEdgeCore({
      edb, nodeId: opts.id, region: opts.region, seed: opts.seed ?? 1, numItems: opts.numItems, dim: opts.dim,
      logger, learner: opts.learner, rateLimit: opts.rateLimit, modelConfig: opts.modelConfig, sync: opts.sync, ann: opts.ann,
    });
  } catch (e) {
    edb.close();
    throw e;
  }
  // Process metrics (RSS, heap, event-loop lag): one edge node per process.
  // 1 ms event-loop delay sampling (prom-client's default is 10 ms): the serving target is a 5 ms p99.
  collectDefaultMetrics({ register: core.metrics.registry, eventLoopMonitoringPrecision: 1 });
  const app = createEdgeApp(core);
  const host = opts.host ?? '127.0.0.1';
  let server: Server;
  const port = await new Promise<number>((resolve, reject) => {
    server = serve({ fetch: app.fetch, port: opts.port, hostname: host }, (info: AddressInfo) => resolve(info.port)) as Server;
    keepConnectionsAlive(server);
    server.once('error', (e: NodeJS.ErrnoException) => {
      reject(new DomainError('listen_failed', 500, `cannot listen on ${host}:${opts.port}: ${e.code ?? e.message}`));
    });
  }).catch((e) => {
    core.close();
    throw e;
  });
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  // Edge-local trigger of a sync (loopback by default, like the rest of the edge API).
  app.post('/admin/sync', async (c) => {
    if (!core.sync.syncNow) throw new DomainError('sync_disabled', 409, 'this edge runs without a broker (no --broker)');
    return c.json(await core.sync.syncNow('admin'));
  });
  await core.sync.start({
    holder: core.holder, checkpoint: () => core.learner.checkpoint(), edb, registry: core.metrics.registry, httpUrl: url,
    appliedSeq: () => core.learner.applied, userState: (user) => core.learner.userState(user),
    stats: () => {
      const oldest = edb.events.pendingAfter(core.learner.applied, 1)[0];
      return { eventsIngested: edb.events.maxSeq(), learnerLagMs: oldest ? Math.max(0, core.clock() - oldest.committedAt) : 0 };
    },
  });
  logger.info({ url, nodeId: opts.id, region: opts.region, modelVersion: core.holder.version, numItems: core.holder.numItems }, 'edge node listening');
  let stopping: Promise<void> | null = null;
  return {
    url, port, core, app,
    stop: () =>
      (stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const force = setTimeout(() => server.closeAllConnections(), 2000);
        await closed;
        clearTimeout(force);
        await core.sync.stop().catch((e) => logger.warn({ err: e }, 'sync stop failed'));
        core.close();
        logger.info('edge node stopped');
      })()),
  };
}
