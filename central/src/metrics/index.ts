export { createCentralMetrics, type CentralMetrics, type DeltaOutcome } from './central-metrics.js';
export { startMetricsServer, type MetricsServer } from './metrics-server.js';
