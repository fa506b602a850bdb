import { Counter, Gauge, Registry } from 'prom-client';

/** Live values the sync gauges read at scrape time. */
export interface SyncMetricSources {
  outboxBytes: () => number;
  connected: () => boolean;
}

/** Prometheus metrics of the edge's sync with central (DESIGN §3). */
export interface SyncMetrics {
  registry: Registry;
  deltasCreated: Counter;
  deltaPublishes: Counter;
  deltasAcked: Counter<'status'>;
  deltasRejected: Counter<'reason'>;
  bytesUp: Counter;
  denseBytesUp: Counter;
  bytesDown: Counter<'kind'>;
  modelSwaps: Counter;
  modelRejected: Counter<'reason'>;
  lastSync: Gauge;
  evalsPublished: Counter;
}

/**
 * Registers the sync metrics on `registry` (the edge app's, so `/metrics` shows them).
 * `edgerec_sync_deltas_created_total` counts distinct deltas (deltaIds),
 * `edgerec_sync_delta_publishes_total` every publish of one, re-sends included.
 *
 * @example
 * const m = createSyncMetrics(core.metrics.registry, { outboxBytes: () => 0, connected: () => true });
 * m.modelRejected.inc({ reason: 'bad_signature' });
 */
export function createSyncMetrics(registry: Registry = new Registry(), sources?: SyncMetricSources): SyncMetrics {
  const registers = [registry];
  const m: SyncMetrics = {
    registry,
    deltasCreated: new Counter({ name: 'edgerec_sync_deltas_created_total', help: 'Uplink deltas written to the outbox', registers }),
    deltaPublishes: new Counter({ name: 'edgerec_sync_delta_publishes_total', help: 'Deltas published, re-sends included', registers }),
    deltasAcked: new Counter({
      name: 'edgerec_sync_deltas_acked_total', help: 'Deltas central acknowledged (accepted or duplicate)',
      labelNames: ['status'] as const, registers,
    }),
    deltasRejected: new Counter({
      name: 'edgerec_sync_deltas_rejected_total', help: 'Deltas central rejected, by reason', labelNames: ['reason'] as const, registers,
    }),
    bytesUp: new Counter({ name: 'edgerec_sync_bytes_up_total', help: 'Encoded delta bytes extracted for upload (re-sends not counted)', registers }),
    denseBytesUp: new Counter({
      name: 'edgerec_sync_dense_bytes_up_total', help: 'Float32 size of the same delta rows (compression reference)', registers,
    }),
    bytesDown: new Counter({
      name: 'edgerec_sync_model_bytes_down_total', help: 'Model artifact chunk bytes received', labelNames: ['kind'] as const, registers,
    }),
    modelSwaps: new Counter({ name: 'edgerec_model_swaps_total', help: 'Global models installed', registers }),
    modelRejected: new Counter({
      name: 'edgerec_model_rejected_total', help: 'Model releases refused, by reason', labelNames: ['reason'] as const, registers,
    }),
    lastSync: new Gauge({ name: 'edgerec_sync_last_sync_timestamp_seconds', help: 'When the last delta was acked or model installed', registers }),
    evalsPublished: new Counter({ name: 'edgerec_sync_evals_published_total', help: 'Federated evaluation reports published', registers }),
  };
  if (sources) {
    new Gauge({
      name: 'edgerec_sync_outbox_bytes', help: 'Encoded bytes waiting for central\'s ack', registers,
      collect() {
        this.set(sources.outboxBytes());
      },
    });
    new Gauge({
      name: 'edgerec_sync_connected', help: '1 while the broker connection is up', registers,
      collect() {
        this.set(sources.connected() ? 1 : 0);
      },
    });
  }
  return m;
}
