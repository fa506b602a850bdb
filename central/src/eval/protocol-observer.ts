import { decode, DeltaAckMsg, parseTopic, RoundControlMsg, TOPIC_PREFIX, topics } from '@edgerec/proto-schemas';
import { MemoryTransport, type MemoryBroker } from '@edgerec/services/bus';

/** One verdict central published on `nodes/{id}/acks`. */
export interface ObservedAck {
  nodeId: string;
  deltaId: string;
  status: DeltaAckMsg['status'];
  reason?: string;
  roundId: number | null;
}

interface Waiter {
  ready: () => boolean;
  resolve: () => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * A passive MQTT client on the evaluation's in-memory broker, listening where an operator's
 * monitoring would: every delta verdict central publishes (`nodes/+/acks`) and the round
 * announcements on `control/rounds`. The evaluation waits on it ("round 4 is over", "edge-0's
 * delta was answered") instead of reaching into central's internals, and reports what each
 * edge was told.
 *
 * @example
 * const obs = await ProtocolObserver.start(broker);
 * await obs.waitForOpenAfter(3, 60_000); // round 3 was aggregated and decided
 * obs.acksOf('edge-0'); // [{ status: 'rejected', reason: 'quarantined: node is quarantined', … }]
 */
export class ProtocolObserver {
  readonly acks: ObservedAck[] = [];
  /** highest round id announced as open so far */
  lastOpen = 0;
  private readonly waiters = new Set<Waiter>();

  private constructor(private readonly transport: MemoryTransport) {}

  static async start(broker: MemoryBroker): Promise<ProtocolObserver> {
    const obs = new ProtocolObserver(new MemoryTransport(broker, { clientId: 'eval-observer' }));
    await obs.transport.subscribe(`${TOPIC_PREFIX}nodes/+/acks`, (m) => {
      const t = parseTopic(m.topic);
      const r = decode(DeltaAckMsg, m.payload);
      if (t?.kind !== 'nodeAcks' || !r.ok) return;
      const a = r.value;
      obs.acks.push({ nodeId: t.nodeId, deltaId: a.deltaId, status: a.status, roundId: a.roundId, ...(a.reason ? { reason: a.reason } : {}) });
      obs.check();
    });
    await obs.transport.subscribe(topics.controlRounds(), (m) => {
      const r = m.payload.byteLength > 0 ? decode(RoundControlMsg, m.payload) : null;
      if (r?.ok && r.value.type === 'open') obs.lastOpen = Math.max(obs.lastOpen, r.value.roundId);
      obs.check();
    });
    await obs.transport.connect();
    return obs;
  }

  acksOf(nodeId: string): ObservedAck[] {
    return this.acks.filter((a) => a.nodeId === nodeId);
  }

  /** Resolves once a round with an id above `roundId` was opened, i.e. `roundId` is over. */
  waitForOpenAfter(roundId: number, timeoutMs: number): Promise<void> {
    return this.waitFor(() => this.lastOpen > roundId, timeoutMs, `round ${roundId} to end`);
  }

  /** Resolves once central answered every one of `deltaIds`, with the (first) verdict of each. */
  async waitForAcks(deltaIds: readonly string[], timeoutMs: number): Promise<ObservedAck[]> {
    return Promise.all(deltaIds.map((id) => this.waitForAck(id, timeoutMs)));
  }

  /** Resolves once central answered `deltaId` (any status). */
  waitForAck(deltaId: string, timeoutMs: number): Promise<ObservedAck> {
    return this.waitFor(() => this.acks.some((a) => a.deltaId === deltaId), timeoutMs, `ack of ${deltaId}`)
      .then(() => this.acks.find((a) => a.deltaId === deltaId)!);
  }

  async close(): Promise<void> {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new Error('observer closed'));
    }
    this.waiters.clear();
    await this.transport.close();
  }

  private waitFor(ready: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        ready, resolve, reject,
        timer: setTimeout(() => {
          this.waiters.delete(w);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs),
      };
      this.waiters.add(w);
    });
  }

  private check(): void {
    for (const w of this.waiters) {
      if (!w.ready()) continue;
      clearTimeout(w.timer);
      this.waiters.delete(w);
      w.resolve();
    }
  }
}
