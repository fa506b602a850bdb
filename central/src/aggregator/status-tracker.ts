import { decodeNodeMessage } from './node-message.js';
import { NodeStatusMsg, topicFilters } from '@edgerec/proto-schemas';
import type { Transport, TransportMessage, Unsubscribe } from '@edgerec/services/bus';
import type { Logger } from '../central-logger.js';
import type { CentralMetrics } from '../metrics/index.js';
import type { CentralStore } from '../store/index.js';
import type { Scheduler } from '@edgerec/services/common';

export interface StatusTrackerDeps {
  transport: Transport;
  store: CentralStore;
  scheduler: Scheduler;
  logger: Logger;
  metrics?: CentralMetrics;
  /** called after a node's online state or registration changed */
  onChange?: (nodeId: string) => void;
}

/**
 * Keeps the `nodes` table in step with the retained `nodes/+/status` messages, including
 * the `offline` status the broker publishes as a node's last will. `last_seen` is central's
 * receive time: edge clocks are not trusted for liveness.
 *
 * @example
 * const tracker = new StatusTracker({ transport, store, scheduler, logger, onChange: () => rm.nodesChanged() });
 * await tracker.start();
 */
export class StatusTracker {
  private unsubscribe: Unsubscribe | null = null;
  private stopped = false;

  constructor(private readonly deps: StatusTrackerDeps) {}

  async start(): Promise<void> {
    this.deps.metrics?.nodesOnline.set(this.deps.store.nodes.onlineCount());
    this.unsubscribe = await this.deps.transport.subscribe(topicFilters.allNodeStatus, (m) => this.handle(m));
  }

  /** `unsubscribe: false` leaves the broker subscription of a persistent session in place. */
  async stop(unsubscribe = true): Promise<void> {
    this.stopped = true;
    if (unsubscribe) await this.unsubscribe?.();
    this.unsubscribe = null;
  }

  handle(msg: TransportMessage): void {
    if (this.stopped) return;
    // An empty payload is a cleared retained status (node decommissioned): nothing to record.
    const s = decodeNodeMessage(msg, 'nodeStatus', NodeStatusMsg, this.deps.logger, 'node status');
    if (!s) return;
    const { store } = this.deps;
    const before = store.nodes.get(s.nodeId);
    const online = s.state === 'online';
    store.nodes.recordStatus({ nodeId: s.nodeId, region: s.region, online, status: s, seenAt: this.deps.scheduler.now() });
    this.deps.metrics?.nodesOnline.set(store.nodes.onlineCount());
    if (!before || before.online !== online) {
      this.deps.logger.info({ nodeId: s.nodeId, state: s.state, modelVersion: s.modelVersion }, 'node status changed');
      this.deps.onChange?.(s.nodeId);
    }
  }
}
