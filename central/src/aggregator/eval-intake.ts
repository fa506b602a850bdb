import { decodeNodeMessage } from './node-message.js';
import { NodeEvalMsg, topicFilters } from '@edgerec/proto-schemas';
import type { Transport, TransportMessage, Unsubscribe } from '@edgerec/services/bus';
import type { Logger } from '../central-logger.js';
import type { CentralStore } from '../store/index.js';

export interface EvalIntakeDeps {
  transport: Transport;
  store: CentralStore;
  logger: Logger;
}

/**
 * Receives federated evaluation reports (`nodes/+/eval`: HR@10/NDCG@10 of a model
 * version on an edge's own held-out events), keeps the latest per node and version, and
 * writes the users-weighted merge into the version's registry metrics as `fed_hr@10`,
 * `fed_ndcg@10`, `fed_users`, `fed_nodes`.
 *
 * @example
 * await new EvalIntake({ transport, store, logger }).start();
 * store.evals.merged(7); // { hr10, ndcg10, users, nodes }
 */
export class EvalIntake {
  private unsubscribe: Unsubscribe | null = null;
  private stopped = false;

  constructor(private readonly deps: EvalIntakeDeps) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.deps.transport.subscribe(topicFilters.allNodeEval, (m) => this.handle(m));
  }

  /** `unsubscribe: false` leaves the broker subscription of a persistent session in place. */
  async stop(unsubscribe = true): Promise<void> {
    this.stopped = true;
    if (unsubscribe) await this.unsubscribe?.();
    this.unsubscribe = null;
  }

  handle(msg: TransportMessage): void {
    if (this.stopped) return;
    const e = decodeNodeMessage(msg, 'nodeEval', NodeEvalMsg, this.deps.logger, 'eval report');
    if (!e) return;
    const { store } = this.deps;
    // A quarantined node's word is not taken for quality either: its report would skew the
    // federated HR@10 the console, the reports and canary decisions read.
    if (store.nodes.isQuarantined(e.nodeId)) {
      this.deps.logger.warn({ nodeId: e.nodeId, modelVersion: e.modelVersion }, 'eval report from a quarantined node ignored');
      return;
    }
    if (!store.registry.get(e.modelVersion)) {
      this.deps.logger.warn({ nodeId: e.nodeId, modelVersion: e.modelVersion }, 'eval report for an unknown version ignored');
      return;
    }
    store.transaction(() => {
      store.evals.record({ nodeId: e.nodeId, version: e.modelVersion, hr10: e.hr10, ndcg10: e.ndcg10, users: e.users, ts: e.ts });
      const merged = store.evals.merged(e.modelVersion);
      if (merged) {
        store.registry.mergeMetrics(e.modelVersion, {
          'fed_hr@10': merged.hr10, 'fed_ndcg@10': merged.ndcg10, fed_users: merged.users, fed_nodes: merged.nodes,
        });
      }
    });
  }
}
