import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MessageInbox } from './message-inbox.js';
import type { Transport, WillMessage } from './transport.js';

/**
 * The one behavioural contract every Transport passes (STYLE: "an MQTT and an
 * in-memory implementation that pass one shared contract test suite"). Test-only:
 * imports vitest, so it is not exported from index.ts.
 */

export interface ContractClientOptions {
  clientId?: string;
  /** Persistent session (clean=false). */
  persistent?: boolean;
  will?: WillMessage;
}

/** A transport plus the abrupt-disconnect hook the contract needs. */
export type ContractTransport = Transport & { simulateDisconnect(): Promise<void> };

export interface ContractEnv {
  /** A new, not yet connected client. */
  createClient(opts?: ContractClientOptions): ContractTransport;
  close(): Promise<void>;
}

export interface ContractCapabilities {
  /** MQTT 5 properties survive the trip (not over aedes, which speaks 3.1.1). */
  properties: boolean;
  /** `$share/group/filter` load-balances (not aedes). */
  sharedSubscriptions: boolean;
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/**
 * Registers the contract tests for one implementation. Each test works under its
 * own topic prefix, so one broker serves the whole suite. "Never delivered" is
 * checked with a barrier: a later message from the same publisher on the same
 * subscription, which brokers deliver in order.
 *
 * @example
 * runTransportContract('MemoryTransport', { properties: true, sharedSubscriptions: true }, async () => {
 *   const broker = new MemoryBroker();
 *   return { createClient: (o) => new MemoryTransport(broker, o), close: async () => {} };
 * });
 */
export function runTransportContract(
  name: string,
  capabilities: ContractCapabilities,
  makeEnv: () => Promise<ContractEnv>,
): void {
  describe(`Transport contract: ${name}`, () => {
    let env: ContractEnv;
    let clients: ContractTransport[] = [];
    let p: string;
    const client = (opts?: ContractClientOptions): ContractTransport => {
      const c = env.createClient(opts);
      clients.push(c);
      return c;
    };
    const connected = async (opts?: ContractClientOptions): Promise<ContractTransport> => {
      const c = client(opts);
      await c.connect();
      return c;
    };

    beforeAll(async () => {
      env = await makeEnv();
    });
    afterAll(async () => {
      await env?.close();
    });
    afterEach(async () => {
      await Promise.allSettled(clients.map((c) => c.close()));
      clients = [];
    });
    beforeEach(() => {
      p = `contract/${randomUUID()}`; // a fresh subtree per test: retained messages cannot leak across tests
    });

    it('delivers binary payloads unchanged, at QoS 1', async () => {
      const [sub, pub] = [await connected(), await connected()];
      const inbox = new MessageInbox();
      await sub.subscribe(`${p}/bin`, inbox.handler);
      const payload = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) % 256);
      await pub.publish(`${p}/bin`, payload);
      const msg = await inbox.waitFor();
      expect(msg.topic).toBe(`${p}/bin`);
      expect(Array.from(msg.payload)).toEqual(Array.from(payload));
      expect(msg.qos).toBe(1);
      expect(msg.retain).toBe(false);
    });

    it('matches + and # wildcards level by level', async () => {
      const [sub, pub] = [await connected(), await connected()];
      const plus = new MessageInbox();
      const hash = new MessageInbox();
      await sub.subscribe(`${p}/+/status`, plus.handler);
      await sub.subscribe(`${p}/a/#`, hash.handler);
      for (const t of ['a/status', 'a/deltas', 'a/b/status', 'z/status']) await pub.publish(`${p}/${t}`, bytes(t));
      await plus.waitFor((m) => m.topic === `${p}/z/status`);
      await hash.waitFor((m) => m.topic === `${p}/a/b/status`);
      expect(plus.topics).toEqual([`${p}/a/status`, `${p}/z/status`]);
      expect(hash.topics).toEqual([`${p}/a/status`, `${p}/a/deltas`, `${p}/a/b/status`]);
    });

    it('delivers the retained message to a late subscriber, flagged retained', async () => {
      const pub = await connected();
      await pub.publish(`${p}/manifest`, bytes('v1'), { retain: true });
      await pub.publish(`${p}/manifest`, bytes('v2'), { retain: true });
      const late = await connected();
      const inbox = new MessageInbox();
      await late.subscribe(`${p}/#`, inbox.handler);
      const msg = await inbox.waitFor();
      expect(text(msg.payload)).toBe('v2');
      expect(msg.retain).toBe(true);
    });

    it('an empty retained payload clears the retained message', async () => {
      const pub = await connected();
      await pub.publish(`${p}/r`, bytes('old'), { retain: true });
      await pub.publish(`${p}/r`, new Uint8Array(0), { retain: true });
      const late = await connected();
      const inbox = new MessageInbox();
      await late.subscribe(`${p}/#`, inbox.handler);
      await pub.publish(`${p}/barrier`, bytes('b'));
      await inbox.waitFor((m) => m.topic === `${p}/barrier`);
      expect(inbox.topics).toEqual([`${p}/barrier`]);
    });

    it('queues QoS 1 messages for an offline persistent session and delivers them on reconnect', async () => {
      const clientId = `persist-${randomUUID().slice(0, 8)}`;
      const first = await connected({ clientId, persistent: true });
      await first.subscribe(`${p}/acks`, () => {});
      await first.close();
      const pub = await connected();
      await pub.publish(`${p}/acks`, bytes('ack-1'));
      await pub.publish(`${p}/acks`, bytes('ack-2'));
      const inbox = new MessageInbox();
      const second = client({ clientId, persistent: true });
      await second.subscribe(`${p}/acks`, inbox.handler); // before connect, so queued messages find it
      await second.connect();
      await inbox.waitFor((m) => text(m.payload) === 'ack-2');
      expect(inbox.messages.map((m) => text(m.payload))).toEqual(['ack-1', 'ack-2']);
    });

    it('publishes the last will when a client drops without DISCONNECT', async () => {
      const watcher = await connected();
      const inbox = new MessageInbox();
      await watcher.subscribe(`${p}/status`, inbox.handler);
      const dying = await connected({ will: { topic: `${p}/status`, payload: bytes('offline'), retain: true } });
      await dying.simulateDisconnect();
      const will = await inbox.waitFor();
      expect(text(will.payload)).toBe('offline');
      const late = await connected();
      const retained = new MessageInbox();
      await late.subscribe(`${p}/status`, retained.handler);
      expect(text((await retained.waitFor()).payload)).toBe('offline');
    });

    it('a graceful close does not publish the will', async () => {
      const watcher = await connected();
      const inbox = new MessageInbox();
      await watcher.subscribe(`${p}/#`, inbox.handler);
      const leaving = await connected({ will: { topic: `${p}/status`, payload: bytes('offline') } });
      await leaving.close();
      const pub = await connected();
      await pub.publish(`${p}/barrier`, bytes('b'));
      await inbox.waitFor((m) => m.topic === `${p}/barrier`);
      expect(inbox.topics).toEqual([`${p}/barrier`]);
    });

    it('unsubscribe stops delivery to that handler', async () => {
      const [sub, pub] = [await connected(), await connected()];
      const gone = new MessageInbox();
      const kept = new MessageInbox();
      const unsubscribe = await sub.subscribe(`${p}/u`, gone.handler);
      await sub.subscribe(`${p}/k`, kept.handler);
      await pub.publish(`${p}/u`, bytes('1'));
      await gone.waitFor();
      await unsubscribe();
      await pub.publish(`${p}/u`, bytes('2'));
      await pub.publish(`${p}/k`, bytes('barrier'));
      await kept.waitFor();
      expect(gone.messages.map((m) => text(m.payload))).toEqual(['1']);
    });

    it.skipIf(!capabilities.properties)('preserves MQTT 5 response topic and correlation data', async () => {
      const [server, requester] = [await connected(), await connected()];
      await server.subscribe(`${p}/req`, async (req) => {
        const to = req.properties?.responseTopic;
        if (to) await server.publish(to, bytes('pong'), { properties: { correlationData: req.properties?.correlationData } });
      });
      const replies = new MessageInbox();
      await requester.subscribe(`${p}/resp`, replies.handler);
      const correlationData = Uint8Array.from([0, 1, 254, 255]);
      await requester.publish(`${p}/req`, bytes('ping'), { properties: { responseTopic: `${p}/resp`, correlationData } });
      const reply = await replies.waitFor();
      expect(text(reply.payload)).toBe('pong');
      expect(Array.from(reply.properties?.correlationData ?? [])).toEqual([0, 1, 254, 255]);
    });

    it.skipIf(!capabilities.sharedSubscriptions)('spreads a $share group over its members, each message once', async () => {
      const [a, b, pub] = [await connected(), await connected(), await connected()];
      const all = new MessageInbox();
      const perMember = { a: 0, b: 0 };
      await a.subscribe(`$share/workers/${p}/jobs`, (m) => {
        perMember.a++;
        return all.handler(m);
      });
      await b.subscribe(`$share/workers/${p}/jobs`, (m) => {
        perMember.b++;
        return all.handler(m);
      });
      for (let i = 0; i < 6; i++) await pub.publish(`${p}/jobs`, bytes(String(i)));
      await all.waitForCount(6);
      expect(all.messages.map((m) => text(m.payload)).sort()).toEqual(['0', '1', '2', '3', '4', '5']);
      expect(perMember.a).toBeGreaterThan(0);
      expect(perMember.b).toBeGreaterThan(0);
    });
  });
}
