import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAclContract } from './acl-contract.js';
import { MessageInbox } from './message-inbox.js';
import { hasMosquitto, startMosquitto } from './mosquitto-process.js';
import type { MosquittoProcess } from './mosquitto-process.js';
import type { BrokerUser } from './mqtt-acl.js';
import { MqttTransport } from './mqtt-transport.js';
import { runTransportContract } from './transport-contract.js';

const available = hasMosquitto();
if (!available) {
  console.warn('mosquitto suites SKIPPED: no mosquitto binary (apt-get install -y mosquitto, or set MOSQUITTO_BIN)');
}
const label = (s: string): string => (available ? s : `${s} (skipped: mosquitto not installed)`);

async function launch(users?: readonly BrokerUser[]): Promise<{ broker: MosquittoProcess; close(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'edgerec-mosquitto-'));
  const broker = await startMosquitto({ dataDir, users });
  return {
    broker,
    close: async () => {
      await broker.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

describe.skipIf(!available)(label('mosquitto'), () => {
  runTransportContract('MqttTransport + mosquitto', { properties: true, sharedSubscriptions: true }, async () => {
    const { broker, close } = await launch();
    return {
      createClient: (opts = {}) =>
        new MqttTransport({
          url: broker.url,
          clientId: opts.clientId ?? `c-${randomUUID()}`,
          persistent: opts.persistent ?? false,
          will: opts.will,
          reconnectMs: 50,
        }),
      close,
    };
  });

  runAclContract('mosquitto', { surfacesPublishDenial: true, refusesSubscribe: false }, async (users) => {
    const { broker, close } = await launch(users);
    return {
      createClient: ({ username, password }) =>
        new MqttTransport({
          url: broker.url,
          clientId: `${username}-${randomUUID().slice(0, 8)}`,
          username,
          password,
          persistent: false,
          reconnectMs: 50,
        }),
      close,
    };
  });

  describe('across a broker restart', () => {
    let env: { broker: MosquittoProcess; close(): Promise<void> };
    beforeAll(async () => {
      env = await launch();
    });
    afterAll(async () => {
      await env?.close();
    });

    it('reconnects by itself, keeps its subscriptions and sends publishes queued while offline', async () => {
      const make = (clientId: string) =>
        new MqttTransport({ url: env.broker.url, clientId, persistent: true, reconnectMs: 20, maxReconnectMs: 100 });
      const edge = make(`edge-${randomUUID().slice(0, 8)}`);
      const central = make(`central-${randomUUID().slice(0, 8)}`);
      const acks = new MessageInbox();
      await edge.subscribe('restart/acks', acks.handler);
      await edge.connect();
      const deltas = new MessageInbox();
      await central.subscribe('restart/deltas', deltas.handler);
      await central.connect();
      try {
        const edgeOffline = new Promise<void>((resolve) => edge.on('offline', resolve));
        await env.broker.stop();
        await edgeOffline;
        expect(edge.connected).toBe(false);
        const queued = edge.publish('restart/deltas', new TextEncoder().encode('d-offline'));
        const edgeBack = new Promise<void>((resolve) => edge.on('connect', resolve));
        const centralBack = new Promise<void>((resolve) => central.on('connect', resolve));
        await env.broker.start();
        await Promise.all([edgeBack, centralBack, queued]);
        expect((await deltas.waitFor()).topic).toBe('restart/deltas');
        await central.publish('restart/acks', new TextEncoder().encode('ack'));
        expect((await acks.waitFor()).topic).toBe('restart/acks');
      } finally {
        await Promise.allSettled([edge.close(), central.close()]);
      }
    });
  });
});
