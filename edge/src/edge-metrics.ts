import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the ANN gauges read (AnnServing.status() fits). */
export interface AnnGaugeSource {
  ready: boolean;
  building: boolean;
  indexedRows: number;
  changedRows: number;
}

/** Live values the gauges read at scrape time. */
export interface MetricSources {
  lagEvents: () => number;
  outboxEntries: () => number;
  modelVersion: () => number;
  /** the ANN serving's state; absent or null = no index (gauges read 0) */
  ann?: () => AnnGaugeSource | null | undefined;
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
  /** worker time of each HNSW build */
  annBuildSeconds: Histogram;
  /** event-loop time blocked while a built index is loaded */
  annLoadBlockSeconds: Histogram;
  annBuilds: Counter<'result'>;
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
  // Fine below 10 ms, where the serving target (p99 ≤ 5 ms) has to be read off.
  const latencyBuckets = [0.00025, 0.0005, 0.001, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
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
    annBuildSeconds: new Histogram({
      name: 'edgerec_ann_build_seconds', help: 'Worker-thread time of an HNSW index build',
      buckets: [0.1, 1, 5, 15, 30, 60, 120, 300, 600, 1200, 2400, 3600], registers,
    }),
    annLoadBlockSeconds: new Histogram({
      name: 'edgerec_ann_load_block_seconds', help: 'Event-loop time blocked while loading a built HNSW index', buckets: latencyBuckets, registers,
    }),
    annBuilds: new Counter({
      name: 'edgerec_ann_builds_total', help: 'HNSW index builds by result (ok, failed)', labelNames: ['result'] as const, registers,
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
  const ann = () => sources.ann?.() ?? null;
  new Gauge({
    name: 'edgerec_ann_ready', help: '1 when top-k is served through the HNSW index (with exact re-rank), 0 on the exact scan', registers,
    collect() {
      this.set(ann()?.ready ? 1 : 0);
    },
  });
  new Gauge({
    name: 'edgerec_ann_building', help: '1 while an HNSW index build runs', registers,
    collect() {
      this.set(ann()?.building ? 1 : 0);
    },
  });
  new Gauge({
    name: 'edgerec_ann_index_rows', help: 'Item rows in the served HNSW index', registers,
    collect() {
      this.set(ann()?.indexedRows ?? 0);
    },
  });
  new Gauge({
    name: 'edgerec_ann_index_changed_rows', help: 'Age of the served HNSW index: rows changed since its build (all after a model swap)', registers,
    collect() {
      this.set(ann()?.changedRows ?? 0);
    },
  });
  return metrics;
}
