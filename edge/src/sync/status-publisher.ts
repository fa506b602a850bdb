import { encode, topics, type NodeStatusMsg } from '@edgerec/proto-schemas';
import type { Transport, WillMessage } from '@edgerec/services/bus';
import type { Logger } from 'pino';
import type { Scheduler } from '@edgerec/services/common';

/** The parts of a status that change; the publisher adds identity, state and time. */
export type StatusSnapshot = Pick<NodeStatusMsg, 'modelVersion' | 'outboxSize' | 'eventsIngested' | 'learnerLagMs' | 'quality'>;

/**
 * The retained `offline` status the broker publishes when the edge's connection dies without
 * a DISCONNECT (its MQTT Last Will). Give it to the transport at construction.
 *
 * @example
 * new MqttTransport({ url, clientId: 'edge-1', will: offlineWill('edge-1', 'eu') });
 */
export function offlineWill(nodeId: string, region: string, modelVersion = 0): WillMessage {
  const msg: NodeStatusMsg = {
    v: 1, nodeId, region, state: 'offline', modelVersion, outboxSize: 0, eventsIngested: 0, learnerLagMs: 0, quality: {}, ts: 0,
  };
  return { topic: topics.nodeStatus(nodeId), payload: encode(msg), retain: true, qos: 1 };
}

export interface StatusPublisherDeps {
  transport: Transport;
  nodeId: string;
  region: string;
  scheduler: Scheduler;
  logger: Logger;
  snapshot: () => StatusSnapshot;
  /** re-publish period (default 15 s) */
  intervalMs?: number;
  /** where the edge's HTTP API is reachable */
  httpUrl?: string;
}

/**
 * Keeps `nodes/{id}/status` (retained) current: at every connect, every `intervalMs` and
 * whenever asked (model swap, rejected release). On a graceful stop it publishes `offline`
 * itself, because a clean DISCONNECT suppresses the will.
 *
 * @example
 * const sp = new StatusPublisher({ transport, nodeId, region, scheduler, logger, snapshot });
 * sp.start(); // … sp.publishNow(); … await sp.stop();
 */
export class StatusPublisher {
  private cancelTimer: (() => void) | null = null;
  private off: (() => void) | null = null;
  private stopped = false;

  constructor(private readonly deps: StatusPublisherDeps) {}

  start(): void {
    this.off = this.deps.transport.on('connect', () => void this.publishNow());
    if (this.deps.transport.connected) void this.publishNow();
    this.arm();
  }

  /** Publishes the current status (no-op while offline: a stale queued status is useless). */
  async publishNow(state: NodeStatusMsg['state'] = 'online'): Promise<void> {
    const { transport } = this.deps;
    if (!transport.connected) return;
    try {
      await transport.publish(topics.nodeStatus(this.deps.nodeId), encode(this.message(state)), { retain: true, qos: 1 });
    } catch (e) {
      this.deps.logger.warn({ err: (e as Error).message }, 'status publish failed');
    }
  }

  message(state: NodeStatusMsg['state']): NodeStatusMsg {
    const s = this.deps.snapshot();
    const msg: NodeStatusMsg = {
      v: 1, nodeId: this.deps.nodeId, region: this.deps.region, state, ...s,
      learnerLagMs: Math.max(0, s.learnerLagMs), ts: Math.max(0, Math.round(this.deps.scheduler.now())),
    };
    if (this.deps.httpUrl) msg.httpUrl = this.deps.httpUrl;
    return msg;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.cancelTimer?.();
    this.off?.();
    await this.publishNow('offline');
  }

  private arm(): void {
    this.cancelTimer = this.deps.scheduler.setTimer(this.deps.intervalMs ?? 15_000, () => {
      if (this.stopped) return;
      void this.publishNow();
      this.arm();
    });
  }
}
