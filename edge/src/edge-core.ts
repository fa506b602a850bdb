import type { ModelConfig } from '@edgerec/services/model';
import { SeededRandom } from '@edgerec/services/data';
import type { EdgeDatabase } from '@edgerec/services/store';
import { pino, type Logger } from 'pino';
import { createEdgeAnn, type AnnOptions, type AnnServing } from './ann/index.js';
import { createEdgeMetrics, type EdgeMetrics } from './edge-metrics.js';
import { EventIngestor } from './event-ingestor.js';
import { loadOrCreateModel } from './model-bootstrap.js';
import type { ModelHolder } from './model-holder.js';
import { OnlineLearner, type OnlineLearnerOptions } from './online-learner.js';
import { PerUserRateLimiter, type RateLimit } from './per-user-rate-limiter.js';
import { PopularityIndex } from './popularity-index.js';
import { RecommendationService } from './recommendation-service.js';
import { noopSyncClient, type SyncClient } from './sync-client.js';

export interface EdgeCoreOptions {
  edb: EdgeDatabase;
  nodeId: string;
  region: string;
  /** seeds the initial model (new database), the learner's per-event streams and exploration */
  seed: number;
  /** synthetic catalog size for a new database (default 1000) */
  numItems?: number;
  dim?: number;
  modelConfig?: Partial<ModelConfig>;
  learner?: Omit<OnlineLearnerOptions, 'seed' | 'clock' | 'observer' | 'logger'>;
  /** per-user ingest limit (default 50 events/s, burst 100) */
  rateLimit?: RateLimit;
  idempotencyTtlMs?: number;
  clock?: () => number;
  logger?: Logger;
  sync?: SyncClient;
  /** top-k through an HNSW index (built in a worker) from `ann.minItems` items (default 1M; 0 = never) */
  ann?: AnnOptions;
}

/** Everything an edge app serves from, wired together (no HTTP, no port). */
export interface EdgeCore {
  nodeId: string;
  region: string;
  edb: EdgeDatabase;
  holder: ModelHolder;
  learner: OnlineLearner;
  ingestor: EventIngestor;
  recommender: RecommendationService;
  popularity: PopularityIndex;
  metrics: EdgeMetrics;
  logger: Logger;
  clock: () => number;
  sync: SyncClient;
  /** the ANN serving (absent with `ann.minItems` 0); `close` stops its build worker */
  ann?: AnnServing;
  startedAt: number;
  /** erases a user's events, private vector and replay slots (idempotent) */
  eraseUser(user: string): void;
  /** false once `close` began */
  readonly ready: boolean;
  /** stops the learner (checkpointing) and closes the database */
  close(): void;
}

/**
 * Opens the model (creating it in an empty database), restores popularity and the learner,
 * and wires ingest and serving around them. The learner is started; the caller owns `edb`
 * only through `core.close()`.
 *
 * @example
 * const core = createEdgeCore({ edb: openEdgeDatabase(':memory:'), nodeId: 'e1', region: 'r1', seed: 7 });
 * const app = createEdgeApp(core);
 */
export function createEdgeCore(opts: EdgeCoreOptions): EdgeCore {
  const { edb } = opts;
  const clock = opts.clock ?? Date.now;
  const logger = opts.logger ?? pino({ level: 'silent' });
  const boot = loadOrCreateModel(edb, { numItems: opts.numItems, dim: opts.dim, modelConfig: opts.modelConfig, seed: opts.seed, clock });
  const { holder } = boot;
  if (!boot.created && ((opts.numItems !== undefined && opts.numItems !== holder.numItems) || (opts.dim !== undefined && opts.dim !== holder.model.config.dim))) {
    logger.warn({ numItems: holder.numItems, dim: holder.model.config.dim }, 'database model differs from --items/--dim; using the database');
  }
  let learner: OnlineLearner | undefined;
  let ann: AnnServing | undefined;
  const metrics = createEdgeMetrics({
    lagEvents: () => Math.max(0, edb.db.open ? edb.events.maxSeq() - (learner?.applied ?? 0) : 0),
    outboxEntries: () => (edb.db.open ? edb.outbox.stats().entries : 0),
    modelVersion: () => holder.version,
    ann: () => ann?.status(),
  });
  learner = new OnlineLearner(edb, holder, boot.watermark, boot.overlayRows, {
    ...opts.learner, seed: opts.seed, clock, logger,
    observer: {
      applied: (lagMs) => {
        metrics.learnerApplied.inc();
        metrics.learnerLag.observe(Math.max(0, lagMs) / 1000);
      },
      checkpointed: ({ ms }) => metrics.checkpointDuration.observe(ms / 1000),
    },
  });
  const popularity = new PopularityIndex(holder.numItems, () => holder.model.weights.itemBias, clock);
  for (const { itemIdx, weight } of edb.events.popularity()) popularity.add(itemIdx, weight);
  holder.onSwap(() => {
    popularity.resize(holder.numItems);
    popularity.invalidate();
  });
  const l = learner;
  const ingestor = new EventIngestor({
    edb, catalog: holder.catalog, popularity, metrics, clock, onCommitted: (events) => l.offer(events),
    limiter: new PerUserRateLimiter(opts.rateLimit ?? { perSecond: 50, burst: 100 }, clock),
    idempotencyTtlMs: opts.idempotencyTtlMs,
  });
  ann = createEdgeAnn({ holder, db: edb.db, options: opts.ann, logger, metrics });
  const recommender = new RecommendationService({
    edb, holder, learner, popularity, rng: new SeededRandom(opts.seed ^ 0x5eed).nextFloat, ann,
  });
  let ready = true;
  learner.start();
  return {
    nodeId: opts.nodeId, region: opts.region, edb, holder, learner, ingestor, recommender, popularity, metrics, logger,
    clock, sync: opts.sync ?? noopSyncClient, startedAt: clock(), ann,
    get ready() {
      return ready && edb.db.open;
    },
    eraseUser(user: string): void {
      const removed = edb.transaction(() => {
        const events = edb.events.deleteByUser(user);
        edb.users.erase(user);
        edb.replay.deleteByUser(user);
        return events;
      });
      l.forgetUser(user);
      for (const { itemIdx, weight } of removed) popularity.remove(itemIdx, weight);
    },
    close(): void {
      if (!ready) return;
      ready = false;
      void ann?.close(); // the build worker stops at its next insert; the process waits for it, never kills it mid-call
      l.stop({ checkpoint: true });
      edb.close();
    },
  };
}
