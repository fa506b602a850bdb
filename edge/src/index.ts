/**
 * The edge node: HTTP serving (Hono), durable ingest into SQLite, online learning off the
 * request path, and the seam (SyncClient, ModelHolder.swap) where sync with central plugs in.
 *
 * Entry points: `startEdgeNode` (a running node), `edgeCommand` (`edgerec edge …`),
 * `createEdgeCore` + `createEdgeApp` (the parts, for tests and embedding).
 */
export { startEdgeNode, type EdgeNode, type EdgeNodeOptions } from './edge-node.js';
export { edgeCommand, edgeUsage, parseEdgeFlags, EdgeFlags } from './cli.js';
export { createEdgeApp } from './edge-app.js';
export { createEdgeCore, type EdgeCore, type EdgeCoreOptions } from './edge-core.js';
export { createInMemoryEdge } from './in-memory-edge.js';
export { spawnEdgeProcess, type EdgeProcess } from './spawn-edge-process.js';
export { edgeOpenApi, EDGE_ROUTES } from './edge-openapi.js';
export { LearnerQuery, LearnerStatsBody, UserParams } from './http-schemas.js';
export { ModelHolder, type SwapOptions } from './model-holder.js';
export { loadOrCreateModel, DEFAULT_NUM_ITEMS, type BootstrapOptions, type BootstrappedModel } from './model-bootstrap.js';
export { OnlineLearner, eventRng, type OnlineLearnerOptions, type LearnerObserver, type LearnerStats } from './online-learner.js';
export { EventIngestor, bodyHash, type IngestOutcome, type IngestRequest } from './event-ingestor.js';
export { RecommendationService } from './recommendation-service.js';
export { ItemCatalog } from './item-catalog.js';
export { PopularityIndex } from './popularity-index.js';
export { PerUserRateLimiter, type RateLimit } from './per-user-rate-limiter.js';
export { ReplayReservoir, type ReplaySample } from './replay-reservoir.js';
export { UserStateCache } from './user-state-cache.js';
export { DEFAULT_EVENT_WEIGHTS, eventWeight, ratingWeight } from './event-weights.js';
export { createEdgeMetrics, type EdgeMetrics, type MetricSources } from './edge-metrics.js';
export { noopSyncClient, type SyncClient, type SyncContext, type SyncStatus } from './sync-client.js';
export { optimizerStateOf, type OptimizerState } from './model-state-access.js';
