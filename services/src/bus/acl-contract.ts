import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MessageInbox } from './message-inbox.js';
import type { BrokerUser } from './mqtt-acl.js';
import type { Transport } from './transport.js';

/**
 * Broker ACL behaviour shared by the aedes and mosquitto suites (DESIGN §5: nodes
 * authenticate; a node publishes only under its own id). Test-only (imports vitest).
 */

export interface AclEnv {
  createClient(credentials: { username: string; password: string }): Transport;
  close(): Promise<void>;
}

export interface AclCapabilities {
  /** MQTT 5 brokers answer a denied QoS 1 publish with PUBACK 0x87; 3.1.1 brokers ack and drop. */
  surfacesPublishDenial: boolean;
  /**
   * aedes refuses a SUBSCRIBE outside the ACL (SUBACK 0x80); mosquitto 2.0 grants it
   * and filters each delivery against the read ACL instead. Either way nothing leaks.
   */
  refusesSubscribe: boolean;
}

export const ACL_TEST_USERS: readonly BrokerUser[] = [
  { username: 'central', password: 'central-pw', role: 'central' },
  { username: 'node-a', password: 'a-pw', role: 'node' },
  { username: 'node-b', password: 'b-pw', role: 'node' },
  { username: 'kiosk-1', password: 'k-pw', role: 'device' },
];

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const V1 = 'edgerec/v1';

/**
 * Registers the ACL tests for one broker.
 *
 * @example
 * runAclContract('mosquitto', { surfacesPublishDenial: true }, async (users) => makeEnv(users));
 */
export function runAclContract(
  name: string,
  caps: AclCapabilities,
  makeEnv: (users: readonly BrokerUser[]) => Promise<AclEnv>,
): void {
  describe(`broker ACL: ${name}`, () => {
    let env: AclEnv;
    let clients: Transport[] = [];
    const as = async (username: string): Promise<Transport> => {
      const user = ACL_TEST_USERS.find((u) => u.username === username);
      const c = env.createClient({ username, password: user?.password ?? '' });
      clients.push(c);
      await c.connect();
      return c;
    };
    /** A denied publish rejects (MQTT 5) or is silently acked (3.1.1); either way it must not throw otherwise. */
    const expectDenied = async (publishing: Promise<void>): Promise<void> => {
      if (caps.surfacesPublishDenial) await expect(publishing).rejects.toMatchObject({ code: 'publish_not_authorized' });
      else await expect(publishing).resolves.toBeUndefined();
    };

    beforeAll(async () => {
      env = await makeEnv(ACL_TEST_USERS);
    });
    afterAll(async () => {
      await env?.close();
    });
    afterEach(async () => {
      await Promise.allSettled(clients.map((c) => c.close()));
      clients = [];
    });

    it("a node cannot publish under another node's id", async () => {
      const central = await as('central');
      const inbox = new MessageInbox();
      await central.subscribe(`${V1}/nodes/#`, inbox.handler);
      const nodeA = await as('node-a');
      await expectDenied(nodeA.publish(`${V1}/nodes/node-b/deltas`, bytes('forged')));
      await nodeA.publish(`${V1}/nodes/node-a/deltas`, bytes('own'));
      await inbox.waitFor((m) => m.topic === `${V1}/nodes/node-a/deltas`);
      expect(inbox.topics).toEqual([`${V1}/nodes/node-a/deltas`]);
    });

    it('a node cannot publish acks, not even its own', async () => {
      const central = await as('central');
      const inbox = new MessageInbox();
      await central.subscribe(`${V1}/nodes/#`, inbox.handler);
      const nodeA = await as('node-a');
      await expectDenied(nodeA.publish(`${V1}/nodes/node-a/acks`, bytes('self-ack')));
      await nodeA.publish(`${V1}/nodes/node-a/status`, bytes('barrier'));
      await inbox.waitFor();
      expect(inbox.topics).toEqual([`${V1}/nodes/node-a/status`]);
    });

    it('a node cannot publish (or retain) a model manifest', async () => {
      const central = await as('central');
      const live = new MessageInbox();
      await central.subscribe(`${V1}/#`, live.handler);
      const nodeA = await as('node-a');
      await expectDenied(nodeA.publish(`${V1}/models/manifest`, bytes('evil'), { retain: true }));
      await nodeA.publish(`${V1}/nodes/node-a/status`, bytes('barrier'));
      await live.waitFor();
      expect(live.topics).toEqual([`${V1}/nodes/node-a/status`]);

      const nodeB = await as('node-b');
      const late = new MessageInbox();
      await nodeB.subscribe(`${V1}/models/#`, late.handler);
      await central.publish(`${V1}/models/0/chunks/0`, bytes('barrier'));
      await late.waitFor();
      expect(late.topics).toEqual([`${V1}/models/0/chunks/0`]);
    });

    /** Subscribes where the ACL forbids reading: refused, or granted yet never fed. */
    const subscribeForbidden = async (t: Transport, filter: string, inbox: MessageInbox): Promise<void> => {
      const subscribing = t.subscribe(filter, inbox.handler);
      if (caps.refusesSubscribe) await expect(subscribing).rejects.toMatchObject({ code: 'subscribe_refused' });
      else await subscribing;
    };

    it("a node never receives another node's acks; its own arrive", async () => {
      const nodeA = await as('node-a');
      const foreign = new MessageInbox();
      await subscribeForbidden(nodeA, `${V1}/nodes/node-b/acks`, foreign);
      const own = new MessageInbox();
      await nodeA.subscribe(`${V1}/nodes/node-a/acks`, own.handler);
      const central = await as('central');
      await central.publish(`${V1}/nodes/node-b/acks`, bytes('for b'));
      await central.publish(`${V1}/nodes/node-a/acks`, bytes('for a'));
      expect((await own.waitFor()).topic).toBe(`${V1}/nodes/node-a/acks`);
      expect(foreign.topics).toEqual([]);
    });

    it('a node subscribing to the whole tree gets only what it may read', async () => {
      const nodeA = await as('node-a');
      const all = new MessageInbox();
      await subscribeForbidden(nodeA, `${V1}/#`, all);
      const allowed = new MessageInbox();
      await nodeA.subscribe(`${V1}/control/#`, allowed.handler);
      const central = await as('central');
      await central.publish(`${V1}/nodes/node-b/acks`, bytes('for b'));
      await central.publish(`${V1}/control/rounds`, bytes('round'));
      await allowed.waitFor();
      expect(all.topics.filter((t) => !t.startsWith(`${V1}/control/`))).toEqual([]);
    });

    it('devices publish only under their own id, and edges receive their events', async () => {
      const nodeA = await as('node-a');
      const events = new MessageInbox();
      await nodeA.subscribe(`${V1}/devices/+/events`, events.handler);
      const kiosk = await as('kiosk-1');
      await expectDenied(kiosk.publish(`${V1}/devices/kiosk-2/events`, bytes('forged')));
      await kiosk.publish(`${V1}/devices/kiosk-1/events`, bytes('click'));
      await events.waitFor();
      expect(events.topics).toEqual([`${V1}/devices/kiosk-1/events`]);
    });

    it('a wrong password or an unknown user is refused at connect', async () => {
      const wrong = env.createClient({ username: 'node-a', password: 'not-a-pw' });
      clients.push(wrong);
      await expect(wrong.connect()).rejects.toMatchObject({ code: 'broker_auth_failed' });
      const stranger = env.createClient({ username: 'mallory', password: 'x' });
      clients.push(stranger);
      await expect(stranger.connect()).rejects.toMatchObject({ code: 'broker_auth_failed' });
    });
  });
}
