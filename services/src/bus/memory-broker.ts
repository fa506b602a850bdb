import { DomainError } from '@edgerec/proto-schemas';
import { isValidTopicFilter, isValidTopicName, parseSharedFilter, topicMatches } from './topic-filter.js';
import type { MessageProperties, QoS, WillMessage } from './transport.js';

/** One message on its way to one session; `filters` says which subscriptions matched. */
export interface MemoryDelivery {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  properties?: MessageProperties;
  filters: string[];
}

/** The broker's handle on a connected client. */
export interface MemoryLink {
  deliver(delivery: MemoryDelivery): void;
}

export interface MemoryConnectOptions {
  /** Keep subscriptions and queue QoS 1 messages while offline (MQTT clean=false). */
  persistent: boolean;
  will?: WillMessage;
}

export interface MemoryBrokerOptions {
  /** Most QoS 1 messages queued per offline session; the oldest is dropped beyond (mosquitto: max_queued_messages). */
  maxQueued?: number;
  /** Clock for message expiry, in ms. */
  now?: () => number;
}

interface Session {
  persistent: boolean;
  link: MemoryLink | null;
  will?: WillMessage;
  subs: Map<string, QoS>;
  queue: Array<{ delivery: MemoryDelivery; at: number }>;
}

interface SharedGroup {
  filter: string;
  members: string[];
  next: number;
}

/**
 * In-process MQTT broker with the semantics edgerec relies on: retained messages,
 * QoS 1 queueing for offline persistent sessions, last will, wildcards and
 * `$share/group/filter` round-robin. Deliveries are synchronous calls into the
 * links; `MemoryTransport` defers them to a microtask like a network would.
 *
 * @example
 * const broker = new MemoryBroker();
 * const a = new MemoryTransport(broker, { clientId: 'a' });
 */
export class MemoryBroker {
  private readonly sessions = new Map<string, Session>();
  private readonly retained = new Map<string, MemoryDelivery>();
  private readonly groups = new Map<string, SharedGroup>();
  private readonly maxQueued: number;
  private readonly now: () => number;
  private anonymousIds = 0;

  constructor(opts: MemoryBrokerOptions = {}) {
    this.maxQueued = opts.maxQueued ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** A fresh client id for clients that did not bring one. */
  nextClientId(): string {
    return `memory-${++this.anonymousIds}`;
  }

  /** Attaches a link; returns whether an earlier session was resumed. Flushes its queue. */
  connect(clientId: string, link: MemoryLink, opts: MemoryConnectOptions): { sessionPresent: boolean } {
    const old = this.sessions.get(clientId);
    if (old?.link) old.link = null; // takeover: the newer connection wins (MQTT-3.1.4-2)
    const resume = old !== undefined && old.persistent && opts.persistent;
    if (old && !resume) this.dropSession(clientId);
    const session: Session = resume ? old : { persistent: opts.persistent, link: null, subs: new Map(), queue: [] };
    session.persistent = opts.persistent;
    session.link = link;
    session.will = opts.will;
    this.sessions.set(clientId, session);
    const queued = session.queue.splice(0);
    for (const { delivery, at } of queued) {
      const expiry = delivery.properties?.messageExpiryInterval;
      if (expiry !== undefined && this.now() - at > expiry * 1000) continue;
      link.deliver(delivery);
    }
    return { sessionPresent: resume };
  }

  /** Detaches the client; an abrupt drop publishes its will. Non-persistent sessions end. */
  disconnect(clientId: string, link: MemoryLink, opts: { abrupt: boolean }): void {
    const session = this.sessions.get(clientId);
    if (!session || session.link !== link) return; // already taken over
    session.link = null;
    const will = session.will;
    session.will = undefined;
    if (!session.persistent) this.dropSession(clientId);
    if (opts.abrupt && will) {
      this.publish(will.topic, will.payload, { qos: will.qos ?? 1, retain: will.retain ?? false });
    }
  }

  publish(topic: string, payload: Uint8Array, opts: { qos: QoS; retain: boolean; properties?: MessageProperties }): void {
    if (!isValidTopicName(topic)) throw new DomainError('invalid_topic', 400, `cannot publish to "${topic}"`);
    const copy = new Uint8Array(payload); // what a network would do: no aliasing with the sender
    const base = { topic, payload: copy, qos: opts.qos, retain: false, properties: opts.properties };
    if (opts.retain) {
      if (copy.length === 0) this.retained.delete(topic);
      else this.retained.set(topic, { ...base, retain: true, filters: [] });
    }
    for (const [clientId, session] of this.sessions) {
      const filters = [...session.subs.keys()].filter((f) => !parseSharedFilter(f) && topicMatches(f, topic));
      if (filters.length === 0) continue;
      const qos = Math.min(opts.qos, ...filters.map((f) => session.subs.get(f) ?? 0)) as QoS;
      this.deliverTo(clientId, { ...base, qos, filters });
    }
    for (const [key, group] of this.groups) {
      if (!topicMatches(group.filter, topic)) continue;
      const clientId = this.pickMember(group);
      if (clientId === undefined) continue;
      const qos = Math.min(opts.qos, this.sessions.get(clientId)?.subs.get(key) ?? 0) as QoS;
      this.deliverTo(clientId, { ...base, qos, filters: [key] });
    }
  }

  subscribe(clientId: string, filter: string, qos: QoS): void {
    if (!isValidTopicFilter(filter)) throw new DomainError('invalid_topic_filter', 400, `cannot subscribe to "${filter}"`);
    const session = this.requireSession(clientId);
    session.subs.set(filter, qos);
    const shared = parseSharedFilter(filter);
    if (shared) {
      const group = this.groups.get(filter) ?? { filter: shared.filter, members: [], next: 0 };
      if (!group.members.includes(clientId)) group.members.push(clientId);
      this.groups.set(filter, group);
      return; // shared subscriptions get no retained messages (MQTT-4.8.2)
    }
    for (const msg of this.retained.values()) {
      if (topicMatches(filter, msg.topic)) {
        this.deliverTo(clientId, { ...msg, qos: Math.min(qos, msg.qos) as QoS, filters: [filter] });
      }
    }
  }

  unsubscribe(clientId: string, filter: string): void {
    this.sessions.get(clientId)?.subs.delete(filter);
    this.leaveGroup(filter, clientId);
  }

  private deliverTo(clientId: string, delivery: MemoryDelivery): void {
    const session = this.sessions.get(clientId);
    if (!session) return;
    if (session.link) return session.link.deliver(delivery);
    if (!session.persistent || delivery.qos === 0) return;
    session.queue.push({ delivery, at: this.now() });
    if (session.queue.length > this.maxQueued) session.queue.shift();
  }

  /** Round-robin, preferring connected members; offline persistent members queue. */
  private pickMember(group: SharedGroup): string | undefined {
    const n = group.members.length;
    for (const wantOnline of [true, false]) {
      for (let k = 0; k < n; k++) {
        const clientId = group.members[(group.next + k) % n];
        if (!wantOnline || this.sessions.get(clientId)?.link) {
          group.next = (group.next + k + 1) % n;
          return clientId;
        }
      }
    }
    return undefined;
  }

  private dropSession(clientId: string): void {
    const session = this.sessions.get(clientId);
    if (!session) return;
    for (const filter of session.subs.keys()) this.leaveGroup(filter, clientId);
    this.sessions.delete(clientId);
  }

  private leaveGroup(filter: string, clientId: string): void {
    const group = this.groups.get(filter);
    if (!group) return;
    group.members = group.members.filter((m) => m !== clientId);
    if (group.members.length === 0) this.groups.delete(filter);
  }

  private requireSession(clientId: string): Session {
    const session = this.sessions.get(clientId);
    if (!session) throw new DomainError('not_connected', 503, `client "${clientId}" has no session`);
    return session;
  }
}
