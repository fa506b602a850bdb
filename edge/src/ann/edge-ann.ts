import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { EdgeMetrics } from '../edge-metrics.js';
import type { AnnOptions } from './ann-options.js';
import { AnnServing, type AnnModelSource } from './ann-serving.js';

export interface EdgeAnnOptions {
  holder: AnnModelSource;
  /** the edge's database (better-sqlite3 `name`/`memory`): the index file goes next to it */
  db: { name: string; memory: boolean };
  options?: AnnOptions;
  logger: Logger;
  metrics: EdgeMetrics;
}

/** The restore metrics, on the edge's registry (one per app, so edges in one process don't collide). */
function restoreMetrics(m: EdgeMetrics) {
  const registers = [m.registry];
  return {
    restores: new Counter({
      name: 'edgerec_ann_restores_total', help: 'Starts that found a kept HNSW index, by result (ok, mismatch, corrupt, error)',
      labelNames: ['result'] as const, registers,
    }),
    seconds: new Histogram({
      name: 'edgerec_ann_restore_seconds', help: 'Time from start to serving from the kept HNSW index (check, load, row comparison)',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers,
    }),
    changed: new Gauge({
      name: 'edgerec_ann_restore_changed_rows', help: 'Rows found changed since the build when the kept HNSW index was restored', registers,
    }),
  };
}

/**
 * The edge's ANN serving, wired to its metrics and started; undefined when
 * `options.minItems` is 0 (never use ANN). The index file goes next to the database (same
 * disk, which was sized for the model) and is kept there (`<db>-ann.*`) for the next start;
 * for an in-memory database it goes to the OS temp folder and is not kept.
 *
 * @example
 * const ann = createEdgeAnn({ holder, db: edb.db, options: { minItems: 1_000_000 }, logger, metrics });
 * ann?.topK(user, 10, seen, user.recent);
 */
export function createEdgeAnn(o: EdgeAnnOptions): AnnServing | undefined {
  if (o.options?.minItems === 0) return undefined;
  const { metrics } = o;
  const inMemory = o.db.memory || o.db.name === '';
  const restore = restoreMetrics(metrics);
  return new AnnServing({
    holder: o.holder, options: o.options, logger: o.logger,
    dir: inMemory ? tmpdir() : dirname(o.db.name),
    keepPath: inMemory ? undefined : o.db.name,
    observer: {
      built: (r) => {
        metrics.annBuilds.inc({ result: 'ok' });
        metrics.annBuildSeconds.observe(r.buildMs / 1000);
        metrics.annLoadBlockSeconds.observe(r.loadBlockMs / 1000);
      },
      failed: () => metrics.annBuilds.inc({ result: 'failed' }),
      restored: (r) => {
        restore.restores.inc({ result: 'ok' });
        restore.seconds.observe(r.totalMs / 1000);
        restore.changed.set(r.changedRows);
        metrics.annLoadBlockSeconds.observe(r.loadBlockMs / 1000);
      },
      restoreRejected: (kind) => restore.restores.inc({ result: kind }),
    },
  }).start();
}
