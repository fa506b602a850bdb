/**
 * The seam between edgerec and its message bus (DESIGN §3: MQTT 5, QoS 1).
 * Implementations: `MqttTransport` (mqtt.js against mosquitto or the embedded aedes
 * broker) and `MemoryTransport` (in-process); both pass `runTransportContract`.
 */

export type QoS = 0 | 1;

/** MQTT 5 PUBLISH properties edgerec uses. Lost on MQTT 3.1.1 connections (aedes). */
export interface MessageProperties {
  /** Where the receiver should publish its reply (request/response). */
  responseTopic?: string;
  /** Opaque bytes the reply echoes back so the requester can pair them. */
  correlationData?: Uint8Array;
  /** Seconds after which the broker may discard the message if undelivered. */
  messageExpiryInterval?: number;
}

export interface PublishOptions {
  /** Default 1: the publish promise resolves when the broker acknowledged it. */
  qos?: QoS;
  /** Broker keeps the last retained message per topic for late subscribers; an empty payload clears it. */
  retain?: boolean;
  properties?: MessageProperties;
}

export interface TransportMessage {
  topic: string;
  payload: Uint8Array;
  /** True only when delivered because it was retained at subscribe time. */
  retain: boolean;
  qos: QoS;
  properties?: MessageProperties;
}

/**
 * Called once per delivery. QoS 1 is at-least-once: the same message may arrive
 * again (after a reconnect, a broker restart, or from `withFaults`), so handlers
 * must be idempotent (e.g. dedupe by deltaId). A rejected promise is reported
 * through the transport's `error` event, never thrown into the network layer.
 */
export type MessageHandler = (msg: TransportMessage) => void | Promise<void>;

export interface SubscribeOptions {
  /** Default 1. */
  qos?: QoS;
}

/** Resolves once the broker confirmed the unsubscribe (or at once when offline). */
export type Unsubscribe = () => Promise<void>;

/** Published by the broker on the client's behalf when its connection drops without DISCONNECT. */
export interface WillMessage {
  topic: string;
  payload: Uint8Array;
  retain?: boolean;
  qos?: QoS;
}

export interface TransportEvents {
  connect: [];
  offline: [];
  error: [Error];
}
export type TransportEvent = keyof TransportEvents;
export type TransportListener<E extends TransportEvent> = (...args: TransportEvents[E]) => void;

/**
 * A connection to the bus.
 *
 * `subscribe()` may be called before `connect()`: the handler is registered at once
 * and the SUBSCRIBE goes out when the connection is up. Register handlers first when
 * resuming a persistent session, or messages queued for it while offline arrive
 * before anyone listens.
 *
 * @example
 * const t: Transport = new MemoryTransport(broker, { clientId: 'edge-1' });
 * await t.subscribe('edgerec/v1/models/manifest', (m) => console.log(m.payload.length));
 * await t.connect();
 * await t.publish('edgerec/v1/nodes/edge-1/status', bytes, { retain: true });
 */
export interface Transport {
  readonly connected: boolean;
  connect(): Promise<void>;
  /** QoS 1 (default): resolves when the broker acknowledged. Rejects with a DomainError when refused. */
  publish(topic: string, payload: Uint8Array, opts?: PublishOptions): Promise<void>;
  /** Resolves when the broker granted the subscription; returns the way to undo it. */
  subscribe(filter: string, handler: MessageHandler, opts?: SubscribeOptions): Promise<Unsubscribe>;
  /** Graceful DISCONNECT: no will is published. Idempotent. */
  close(): Promise<void>;
  /** Returns a function that removes the listener. */
  on<E extends TransportEvent>(event: E, listener: TransportListener<E>): () => void;
}
