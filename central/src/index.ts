/**
 * @edgerec/central — the aggregator: rounds, delta intake, validation gate, model registry
 * and signed distribution, compute-backend selection and the CLI.
 *
 * Edges verify releases with `verifyManifest`/`verifyArtifact`; import them from
 * `@edgerec/central/distribution/verify-manifest` to load only that file (node:crypto and
 * proto-schemas), not the whole aggregator.
 */
export { startCentral, type CentralService, type StartCentralOptions } from './central-service.js';
export { recordingLogger, silentLogger, type Logger, type LogRecord } from './central-logger.js';
export * from './aggregator/index.js';
export * from './backend/index.js';
export * from './distribution/index.js';
export * from './metrics/index.js';
export * from './store/index.js';
export { CentralHarness, HARNESS_MODEL, harnessDelta, SimulatedEdge, statusPayload, type SendDeltaOptions } from './testing/index.js';
