import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Outcome label of a received delta. */
export type DeltaOutcome = 'accepted' | 'late' | 'duplicate' | 'rejected';

/**
 * Central's Prometheus metrics, in a registry of their own (not prom-client's global
 * one), so several central instances — e.g. in tests — never collide.
 *
 * @example
 * const m = createCentralMetrics();
 * m.deltas.inc({ outcome: 'accepted' });
 * await m.registry.metrics(); // text exposition format
 */
export interface CentralMetrics {
  registry: Registry;
  deltas: Counter<'outcome'>;
  /** refused deltas by reason code (forged, quarantined, bad_delta, chunk limits, …) */
  deltaRejections: Counter<'reason'>;
  bytesUp: Counter;
  bytesDown: Counter<'kind'>;
  rounds: Counter<'outcome'>;
  roundDuration: Histogram;
  aggregationMs: Histogram;
  modelVersion: Gauge;
  nodesOnline: Gauge;
  pendingChunkBytes: Gauge;
}

export function createCentralMetrics(): CentralMetrics {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    deltas: new Counter({
      name: 'edgerec_central_deltas_total',
      help: 'Deltas received, by outcome (accepted = counted on time, late = counted with a staleness weight)',
      labelNames: ['outcome'],
      registers,
    }),
    deltaRejections: new Counter({
      name: 'edgerec_central_delta_rejections_total',
      help: 'Refused deltas and delta chunks, by reason code',
      labelNames: ['reason'],
      registers,
    }),
    bytesUp: new Counter({ name: 'edgerec_central_bytes_up_total', help: 'Delta chunk bytes received from edges', registers }),
    bytesDown: new Counter({
      name: 'edgerec_central_bytes_down_total',
      help: 'Model bytes published to edges (chunks and manifests)',
      labelNames: ['kind'],
      registers,
    }),
    rounds: new Counter({
      name: 'edgerec_central_rounds_total',
      help: 'Finished rounds by outcome (promoted, rejected, insufficient)',
      labelNames: ['outcome'],
      registers,
    }),
    roundDuration: new Histogram({
      name: 'edgerec_central_round_duration_seconds',
      help: 'Time from round open to close',
      buckets: [1, 5, 15, 30, 60, 120, 300, 900, 3600],
      registers,
    }),
    aggregationMs: new Histogram({
      name: 'edgerec_central_aggregation_ms',
      help: 'Time to aggregate a round, validate and register the candidate',
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10000],
      registers,
    }),
    modelVersion: new Gauge({ name: 'edgerec_central_model_version', help: 'Active (promoted) model version', registers }),
    nodesOnline: new Gauge({ name: 'edgerec_central_nodes_online', help: 'Edge nodes whose retained status is online', registers }),
    pendingChunkBytes: new Gauge({
      name: 'edgerec_central_pending_chunk_bytes',
      help: 'Bytes held for delta chunk assemblies in progress',
      registers,
    }),
  };
}
