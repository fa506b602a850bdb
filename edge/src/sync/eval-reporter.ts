import { encode, topics, type NodeEvalMsg } from '@edgerec/proto-schemas';
import type { Transport } from '@edgerec/services/bus';
import type { Logger } from 'pino';
import type { HoldoutResult } from './holdout-evaluator.js';
import type { Scheduler } from '@edgerec/services/common';
import type { SyncMetrics } from './sync-metrics.js';

export interface EvalReporterDeps {
  transport: Transport;
  nodeId: string;
  scheduler: Scheduler;
  logger: Logger;
  metrics: SyncMetrics;
  /** scores the installed model on the edge's held-out data; null: nothing to report */
  evaluate: () => HoldoutResult | null;
}

/**
 * Federated evaluation (DESIGN §4): after a model swap the edge scores the new version on its
 * own held-out data and publishes `NodeEvalMsg` on `nodes/{id}/eval`; central merges the
 * reports weighted by `users`. Nothing is published without test users.
 *
 * @example
 * const reporter = new EvalReporter({ transport, nodeId, scheduler, logger, metrics, evaluate: () => ev.evaluate() });
 * await reporter.report(7);
 */
export class EvalReporter {
  constructor(private readonly deps: EvalReporterDeps) {}

  async report(version: number): Promise<NodeEvalMsg | null> {
    const { transport, nodeId, logger, metrics } = this.deps;
    let r: HoldoutResult | null;
    try {
      r = this.deps.evaluate();
    } catch (e) {
      logger.warn({ err: (e as Error).message }, 'federated evaluation failed');
      return null;
    }
    if (!r || r.users === 0) return null;
    const msg: NodeEvalMsg = {
      v: 1, nodeId, modelVersion: version, hr10: r.hr10, ndcg10: r.ndcg10, users: r.users,
      ts: Math.max(0, Math.round(this.deps.scheduler.now())),
    };
    try {
      await transport.publish(topics.nodeEval(nodeId), encode(msg), { qos: 1 });
      metrics.evalsPublished.inc();
    } catch (e) {
      logger.warn({ err: (e as Error).message }, 'eval publish failed');
    }
    return msg;
  }
}
