import { DomainError } from '@edgerec/proto-schemas';
import { connect as mqttConnect } from 'mqtt';
import type { IClientOptions, IClientPublishOptions, IPublishPacket, MqttClient } from 'mqtt';
import { connackError, publishError, subscribeError } from './mqtt-errors.js';
import { fromMqttProperties, subscriptionIdFor, toMqttProperties } from './mqtt-properties.js';
import { SubscriptionRegistry } from './subscription-registry.js';
import { TransportEventHub } from './transport-events.js';
import type {
  MessageHandler,
  PublishOptions,
  QoS,
  SubscribeOptions,
  Transport,
  TransportEvent,
  TransportListener,
  Unsubscribe,
  WillMessage,
} from './transport.js';

export interface MqttTransportOptions {
  /** e.g. mqtt://127.0.0.1:1883 */
  url: string;
  /** Fixed per node: the broker keys the persistent session by it. */
  clientId: string;
  username?: string;
  password?: string;
  /** 5 (default) for mosquitto; the embedded aedes 1.x broker only speaks 4 (3.1.1). */
  protocolVersion?: 4 | 5;
  /** clean=false: the broker keeps subscriptions and queues QoS 1 while offline. Default true. */
  persistent?: boolean;
  /** MQTT 5 session lifetime after disconnect. Default 7 days. */
  sessionExpirySeconds?: number;
  will?: WillMessage;
  /** First reconnect delay; doubles per failed attempt up to `maxReconnectMs`. Default 500. */
  reconnectMs?: number;
  /** Default 30_000. */
  maxReconnectMs?: number;
  /** How long `connect()` waits for the first CONNACK before rejecting. Default 30_000. */
  connectTimeoutMs?: number;
  /** Default 30. */
  keepaliveSeconds?: number;
}

/**
 * `Transport` over mqtt.js v5 (MQTT 5 by default, QoS 1, persistent session).
 *
 * - Reconnects by itself with exponential backoff (mqtt.js `reconnectPeriod`, adjusted
 *   after every attempt). After every CONNACK the subscriptions are re-sent when the
 *   broker lost the session, and only those changed while offline when it kept it.
 * - Publishes made while offline are queued in mqtt.js's in-memory store and sent
 *   after reconnect; their promises resolve on the broker's PUBACK. That queue dies
 *   with the process: durability is the caller's outbox (DESIGN §3).
 * - PUBACK for incoming messages is sent on receipt, not after the handler: handlers
 *   run concurrently with the network loop, so one may await its own publishes.
 * - MQTT 5 subscription identifiers route each message to exactly the filters that
 *   matched, so overlapping subscriptions do not double-deliver.
 *
 * @example
 * const t = new MqttTransport({ url: 'mqtt://127.0.0.1:1883', clientId: 'edge-eu-1',
 *   username: 'edge-eu-1', password, will: { topic, payload: offline, retain: true } });
 * await t.connect();
 */
export class MqttTransport implements Transport {
  private client: MqttClient | undefined;
  private readonly subs = new SubscriptionRegistry();
  private readonly events = new TransportEventHub();
  private readonly version: 4 | 5;
  private closed = false;
  /** Filters the broker's session holds (as far as we know). */
  private readonly sent = new Set<string>();
  /** Filters dropped while offline; the broker learns on reconnect. */
  private readonly pendingUnsub = new Set<string>();
  private syncing: Promise<void> = Promise.resolve();

  constructor(private readonly opts: MqttTransportOptions) {
    this.version = opts.protocolVersion ?? 5;
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new DomainError('transport_closed', 503, 'transport was closed'));
    if (this.client) return this.client.connected ? Promise.resolve() : this.waitForFirstConnect(this.client);
    const o = this.opts;
    const initialDelay = o.reconnectMs ?? 500;
    const options: IClientOptions = {
      clientId: o.clientId,
      protocolVersion: this.version,
      clean: !(o.persistent ?? true),
      username: o.username,
      password: o.password,
      keepalive: o.keepaliveSeconds ?? 30,
      reconnectPeriod: initialDelay,
      connectTimeout: o.connectTimeoutMs ?? 30_000,
      resubscribe: false, // done in syncSubscriptions, which also covers filters added while offline
      properties:
        this.version === 5 && (o.persistent ?? true) ? { sessionExpiryInterval: o.sessionExpirySeconds ?? 604_800 } : undefined,
      will: o.will && {
        topic: o.will.topic,
        payload: Buffer.from(o.will.payload),
        qos: o.will.qos ?? 1,
        retain: o.will.retain ?? false,
      },
    };
    let client: MqttClient;
    try {
      client = mqttConnect(o.url, options);
    } catch (err) {
      return Promise.reject(err); // e.g. an empty clientId with a persistent session
    }
    this.client = client;
    client.on('connect', (connack) => {
      client.options.reconnectPeriod = initialDelay;
      this.syncing = this.syncSubscriptions(client, connack.sessionPresent);
      this.events.emit('connect');
    });
    client.on('reconnect', () => {
      client.options.reconnectPeriod = Math.min((client.options.reconnectPeriod ?? initialDelay) * 2, o.maxReconnectMs ?? 30_000);
    });
    client.on('offline', () => this.events.emit('offline'));
    client.on('error', (err) => this.events.emit('error', err));
    client.on('message', (topic, payload, packet) => this.receive(topic, payload, packet));
    return this.waitForFirstConnect(client).then(() => this.syncing);
  }

  async publish(topic: string, payload: Uint8Array, opts: PublishOptions = {}): Promise<void> {
    const client = this.requireClient(`publish to "${topic}"`);
    const pubOpts: IClientPublishOptions = { qos: opts.qos ?? 1, retain: opts.retain ?? false };
    if (this.version === 5 && opts.properties) pubOpts.properties = toMqttProperties(opts.properties);
    // Copy: mqtt.js keeps the buffer in its outgoing store until PUBACK and may resend it.
    await new Promise<void>((resolve, reject) =>
      client.publish(topic, Buffer.from(payload), pubOpts, (err) => (err ? reject(publishError(topic, err)) : resolve())),
    );
  }

  async subscribe(filter: string, handler: MessageHandler, opts: SubscribeOptions = {}): Promise<Unsubscribe> {
    if (this.closed) throw new DomainError('transport_closed', 503, 'transport was closed');
    const qos = opts.qos ?? 1;
    this.subs.add(filter, handler, qos);
    if (this.client?.connected) {
      try {
        await this.sendSubscribe(this.client, filter, qos);
      } catch (err) {
        this.subs.remove(filter, handler);
        throw err;
      }
    }
    return async () => {
      if (!this.subs.remove(filter, handler)) return;
      if (!this.client?.connected) {
        if (this.sent.delete(filter)) this.pendingUnsub.add(filter);
        return;
      }
      this.sent.delete(filter);
      await this.client.unsubscribeAsync(filter);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const client = this.client;
    if (!client) return;
    // Graceful DISCONNECT (no will) when connected; otherwise just stop reconnecting.
    await client.endAsync(!client.connected);
  }

  /** Test hook: destroys the socket without DISCONNECT, so the broker publishes the will; mqtt.js then reconnects. */
  async simulateDisconnect(): Promise<void> {
    this.client?.stream.destroy();
  }

  on<E extends TransportEvent>(event: E, listener: TransportListener<E>): () => void {
    return this.events.on(event, listener);
  }

  private waitForFirstConnect(client: MqttClient): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new DomainError('broker_unreachable', 503, `no CONNACK from ${this.opts.url} yet; still retrying`));
      }, this.opts.connectTimeoutMs ?? 30_000);
      const onConnect = (): void => {
        cleanup();
        resolve();
      };
      const onError = (err: Error & { code?: unknown }): void => {
        if (typeof err.code !== 'number') return; // socket errors: keep retrying
        cleanup();
        client.end(true);
        this.closed = true;
        reject(connackError(this.opts.url, err.code, err.message));
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        client.off('connect', onConnect);
        client.off('error', onError);
      };
      client.on('connect', onConnect);
      client.on('error', onError);
    });
  }

  /** After (re)connect: without a resumed session everything is re-sent, otherwise only what changed offline. */
  private async syncSubscriptions(client: MqttClient, sessionPresent: boolean): Promise<void> {
    if (!sessionPresent) {
      this.sent.clear();
      this.pendingUnsub.clear();
    }
    const unsubs = [...this.pendingUnsub].filter((f) => !this.subs.has(f));
    this.pendingUnsub.clear();
    const jobs = [
      ...unsubs.map((f) => client.unsubscribeAsync(f).then(() => undefined)),
      ...this.subs.entries().filter(([f]) => !this.sent.has(f)).map(([f, qos]) => this.sendSubscribe(client, f, qos)),
    ];
    for (const r of await Promise.allSettled(jobs)) if (r.status === 'rejected') this.events.emit('error', r.reason as Error);
  }

  private async sendSubscribe(client: MqttClient, filter: string, qos: QoS): Promise<void> {
    const properties = this.version === 5 ? { subscriptionIdentifier: subscriptionIdFor(filter) } : undefined;
    try {
      await client.subscribeAsync(filter, { qos, properties });
      this.sent.add(filter);
    } catch (err) {
      throw subscribeError(filter, err);
    }
  }

  private receive(topic: string, payload: Buffer, packet: IPublishPacket): void {
    const ids = packet.properties?.subscriptionIdentifier;
    const idList = ids === undefined ? [] : Array.isArray(ids) ? ids : [ids];
    const routed = this.subs.entries().map(([f]) => f).filter((f) => idList.includes(subscriptionIdFor(f)));
    const msg = {
      topic,
      payload,
      retain: packet.retain,
      qos: (packet.qos > 0 ? 1 : 0) as QoS,
      properties: fromMqttProperties(packet.properties),
    };
    this.subs.dispatch(msg, (err) => this.events.emit('error', err), routed.length > 0 ? routed : undefined);
  }

  private requireClient(what: string): MqttClient {
    if (!this.client || this.closed) throw new DomainError('not_connected', 503, `cannot ${what}: call connect() first`);
    return this.client;
  }
}
