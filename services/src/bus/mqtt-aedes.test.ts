import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startEmbeddedBroker } from './embedded-broker.js';
import type { EmbeddedBroker } from './embedded-broker.js';
import { runAclContract } from './acl-contract.js';
import { MqttTransport } from './mqtt-transport.js';
import { runTransportContract } from './transport-contract.js';

// aedes 1.x speaks MQTT 3.1.1 only: no properties, no shared subscriptions.
runTransportContract('MqttTransport + embedded aedes', { properties: false, sharedSubscriptions: false }, async () => {
  const broker = await startEmbeddedBroker();
  return {
    createClient: (opts = {}) =>
      new MqttTransport({
        url: broker.url,
        protocolVersion: broker.protocolVersion,
        clientId: opts.clientId ?? `c-${randomUUID()}`,
        persistent: opts.persistent ?? false,
        will: opts.will,
        reconnectMs: 50,
      }),
    close: () => broker.close(),
  };
});

runAclContract('embedded aedes', { surfacesPublishDenial: false, refusesSubscribe: true }, async (users) => {
  const broker: EmbeddedBroker = await startEmbeddedBroker({ users });
  return {
    createClient: ({ username, password }) =>
      new MqttTransport({
        url: broker.url,
        protocolVersion: broker.protocolVersion,
        clientId: `${username}-${randomUUID().slice(0, 8)}`,
        username,
        password,
        persistent: false,
        reconnectMs: 50,
      }),
    close: () => broker.close(),
  };
});

describe('MqttTransport against aedes', () => {
  it('explains that aedes needs MQTT 3.1.1 when a client asks for MQTT 5', async () => {
    const broker = await startEmbeddedBroker();
    const t = new MqttTransport({ url: broker.url, clientId: 'v5-client', protocolVersion: 5, reconnectMs: 50 });
    try {
      await expect(t.connect()).rejects.toMatchObject({ code: 'broker_protocol_unsupported' });
    } finally {
      await t.close();
      await broker.close();
    }
  });
});
