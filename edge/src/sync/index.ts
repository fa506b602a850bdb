/**
 * Edge side of the sync protocol (DESIGN §3): durable uplink deltas with error feedback,
 * signed downlink releases with rebase, node status with an offline will, and federated
 * evaluation. `EdgeSyncClient` is the `SyncClient` an edge node runs with `--broker`.
 */
export { EdgeSyncClient, type EdgeSyncOptions } from './edge-sync-client.js';
export { createSyncTransport, readBrokerPassword, BROKER_PASSWORD_ENV, type SyncTransportOptions } from './sync-transport.js';
export { ManifestTrust, loadCentralKeys, keyIdOf, verifyArtifact, type ManifestErrorCode, type VerifyResult } from './manifest-trust.js';
export { HoldoutEvaluator, HoldoutPolicy, type HoldoutEvaluatorDeps, type HoldoutResult } from './holdout-evaluator.js';
export { EvalReporter, type EvalReporterDeps } from './eval-reporter.js';
export { InstallWaiters } from './install-waiters.js';
export { StatusPublisher, offlineWill, type StatusPublisherDeps, type StatusSnapshot } from './status-publisher.js';
export { DeltaUplink, reasonCode, type DeltaUplinkDeps, type OutboxMeta } from './delta-uplink.js';
export { ModelReceiver, type ModelReceiverDeps } from './model-receiver.js';
export { ModelChunkBuffer } from './model-chunk-buffer.js';
export { cutDelta, type CutSpec, type DeltaCut } from './delta-cut.js';
export { extractToOutbox, ROUND_STATE_KEY, type Extraction, type ExtractionInput, type SyncMemory } from './delta-extraction.js';
export { installGlobalModel, type InstallInput } from './model-installer.js';
export { unsyncedDelta, referenceUpdate, mergeReference, reapplyUnsynced } from './unsynced-delta.js';
export { RoundState, targets, type OpenRound, type PersistedRoundState } from './round-state.js';
export { createSyncMetrics, type SyncMetrics, type SyncMetricSources } from './sync-metrics.js';
export { ManualScheduler, systemScheduler, type Scheduler } from '@edgerec/services/common';
