import { DomainError } from '@edgerec/proto-schemas';
import type { MemoryBroker, MemoryDelivery, MemoryLink } from './memory-broker.js';
import { SubscriptionRegistry } from './subscription-registry.js';
import { TransportEventHub } from './transport-events.js';
import type {
  MessageHandler,
  PublishOptions,
  SubscribeOptions,
  Transport,
  TransportEvent,
  TransportListener,
  Unsubscribe,
  WillMessage,
} from './transport.js';

export interface MemoryTransportOptions {
  /** Fixed id to resume a persistent session; default: a fresh one from the broker. */
  clientId?: string;
  /** Keep the session (subscriptions + queued QoS 1) while offline. Default false. */
  persistent?: boolean;
  will?: WillMessage;
}

type State = 'new' | 'online' | 'offline' | 'closed';

/**
 * `Transport` over a `MemoryBroker`, for unit tests and single-process demos.
 * Deliveries run on a microtask, as if they had crossed a network. After
 * `simulateDisconnect()` it behaves like an MQTT client that lost its connection:
 * publishes queue until `connect()` is called again.
 *
 * @example
 * const broker = new MemoryBroker();
 * const edge = new MemoryTransport(broker, { clientId: 'edge-1', persistent: true });
 * await edge.connect();
 */
export class MemoryTransport implements Transport {
  readonly clientId: string;
  private readonly subs = new SubscriptionRegistry();
  private readonly events = new TransportEventHub();
  private state: State = 'new';
  private link: MemoryLink | null = null;
  private outbox: Array<() => void> = [];

  constructor(
    private readonly broker: MemoryBroker,
    private readonly opts: MemoryTransportOptions = {},
  ) {
    this.clientId = opts.clientId ?? broker.nextClientId();
  }

  get connected(): boolean {
    return this.state === 'online';
  }

  async connect(): Promise<void> {
    if (this.state === 'closed') throw new DomainError('transport_closed', 503, 'transport was closed');
    if (this.state === 'online') return;
    // A fresh link object per connection, so deliveries for a dropped one are ignored.
    const link: MemoryLink = { deliver: (d) => queueMicrotask(() => this.receive(link, d)) };
    this.link = link;
    this.state = 'online';
    this.broker.connect(this.clientId, link, { persistent: this.opts.persistent ?? false, will: this.opts.will });
    for (const [filter, qos] of this.subs.entries()) this.broker.subscribe(this.clientId, filter, qos);
    for (const send of this.outbox.splice(0)) send();
    this.events.emit('connect');
  }

  async publish(topic: string, payload: Uint8Array, opts: PublishOptions = {}): Promise<void> {
    if (this.state === 'new' || this.state === 'closed') {
      throw new DomainError('not_connected', 503, `cannot publish to "${topic}": transport is ${this.state}`);
    }
    const qos = opts.qos ?? 1;
    const send = (): void =>
      this.broker.publish(topic, payload, { qos, retain: opts.retain ?? false, properties: opts.properties });
    if (this.state === 'online') {
      await Promise.resolve(); // the broker's ack comes back asynchronously
      return send();
    }
    if (qos === 0) return; // like mqtt.js with queueQoSZero=false: at-most-once may be lost offline
    const copy = new Uint8Array(payload);
    await new Promise<void>((resolve, reject) => {
      this.outbox.push(() => {
        try {
          this.broker.publish(topic, copy, { qos, retain: opts.retain ?? false, properties: opts.properties });
          resolve();
        } catch (err) {
          reject(err);
        }
      });
    });
  }

  async subscribe(filter: string, handler: MessageHandler, opts: SubscribeOptions = {}): Promise<Unsubscribe> {
    if (this.state === 'closed') throw new DomainError('transport_closed', 503, 'transport was closed');
    const qos = opts.qos ?? 1;
    this.subs.add(filter, handler, qos);
    // Re-subscribing an existing filter re-sends retained messages, as MQTT brokers do.
    if (this.state === 'online') this.broker.subscribe(this.clientId, filter, qos);
    return async () => {
      if (this.subs.remove(filter, handler) && this.state === 'online') this.broker.unsubscribe(this.clientId, filter);
    };
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    if (this.state === 'online' && this.link) this.broker.disconnect(this.clientId, this.link, { abrupt: false });
    this.state = 'closed';
    this.link = null;
    this.outbox = [];
  }

  /** Drops the connection without DISCONNECT: the broker publishes the will. */
  async simulateDisconnect(): Promise<void> {
    if (this.state !== 'online' || !this.link) return;
    const link = this.link;
    this.link = null;
    this.state = 'offline';
    this.broker.disconnect(this.clientId, link, { abrupt: true });
    this.events.emit('offline');
  }

  on<E extends TransportEvent>(event: E, listener: TransportListener<E>): () => void {
    return this.events.on(event, listener);
  }

  private receive(link: MemoryLink, d: MemoryDelivery): void {
    if (link !== this.link) return; // arrived for a connection that is gone
    const msg = { topic: d.topic, payload: d.payload, retain: d.retain, qos: d.qos, properties: d.properties };
    this.subs.dispatch(msg, (err) => this.events.emit('error', err), d.filters.filter((f) => this.subs.has(f)));
  }
}
