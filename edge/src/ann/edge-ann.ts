import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
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

/**
 * The edge's ANN serving, wired to its metrics and started; undefined when
 * `options.minItems` is 0 (never use ANN). The temporary index file goes next to the
 * database (same disk, which was sized for the model), or to the OS temp folder for an
 * in-memory database.
 *
 * @example
 * const ann = createEdgeAnn({ holder, db: edb.db, options: { minItems: 1_000_000 }, logger, metrics });
 * ann?.topK(user, 10, seen, user.recent);
 */
export function createEdgeAnn(o: EdgeAnnOptions): AnnServing | undefined {
  if (o.options?.minItems === 0) return undefined;
  const { metrics } = o;
  return new AnnServing({
    holder: o.holder, options: o.options, logger: o.logger,
    dir: o.db.memory || o.db.name === '' ? tmpdir() : dirname(o.db.name),
    observer: {
      built: (r) => {
        metrics.annBuilds.inc({ result: 'ok' });
        metrics.annBuildSeconds.observe(r.buildMs / 1000);
        metrics.annLoadBlockSeconds.observe(r.loadBlockMs / 1000);
      },
      failed: () => metrics.annBuilds.inc({ result: 'failed' }),
    },
  }).start();
}
