import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Live values the gauges read at scrape time. */
export interface MetricSources {
  lagEvents: () => number;
  outboxEntries: () => number;
  modelVersion: () => number;
}

/** The Prometheus metrics of one edge app, on a registry of its own (so apps in one process don't collide). */
export interface EdgeMetrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  eventsIngested: Counter;
  eventsDuplicate: Counter;
  eventsRejected: Counter<'reason'>;
  learnerLag: Histogram;
  learnerApplied: Counter;
  checkpointDuration: Histogram;
}

/**
 * Creates the edge metrics. Names follow Prometheus conventions (base units: seconds).
 *
 * @example
 * const metrics = createEdgeMetrics({ lagEvents: () => 0, outboxEntries: () => 0, modelVersion: () => 3 });
 * metrics.eventsRejected.inc({ reason: 'unknown_item' });
 * await metrics.registry.metrics(); // text exposition
 */
export function createEdgeMetrics(sources: MetricSources): EdgeMetrics {
  const registry = new Registry();
  const registers = [registry];
  const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
  const metrics: EdgeMetrics = {
    registry,
    httpDuration: new Histogram({
      name: 'edgerec_http_request_duration_seconds', help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'] as const, buckets: latencyBuckets, registers,
    }),
    eventsIngested: new Counter({ name: 'edgerec_events_ingested_total', help: 'Events committed to the log', registers }),
    eventsDuplicate: new Counter({
      name: 'edgerec_events_duplicates_total', help: 'Events whose eventId was already stored', registers,
    }),
    eventsRejected: new Counter({
      name: 'edgerec_events_rejected_total', help: 'Events refused by the data-quality filter, by reason',
      labelNames: ['reason'] as const, registers,
    }),
    learnerLag: new Histogram({
      name: 'edgerec_learner_lag_seconds', help: 'Time from an event\'s commit to the learner applying it',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300], registers,
    }),
    learnerApplied: new Counter({ name: 'edgerec_learner_applied_total', help: 'Events the learner applied', registers }),
    checkpointDuration: new Histogram({
      name: 'edgerec_learner_checkpoint_seconds', help: 'Duration of learner checkpoints', buckets: latencyBuckets, registers,
    }),
  };
  new Gauge({
    name: 'edgerec_learner_lag_events', help: 'Committed events not yet applied by the learner', registers,
    collect() {
      this.set(sources.lagEvents());
    },
  });
  new Gauge({
    name: 'edgerec_outbox_entries', help: 'Deltas waiting for central\'s ack', registers,
    collect() {
      this.set(sources.outboxEntries());
    },
  });
  new Gauge({
    name: 'edgerec_model_version', help: 'Global model version being served', registers,
    collect() {
      this.set(sources.modelVersion());
    },
  });
  return metrics;
}
