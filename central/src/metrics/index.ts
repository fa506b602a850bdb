export { createCentralMetrics, type CentralMetrics, type DeltaOutcome } from './central-metrics.js';
