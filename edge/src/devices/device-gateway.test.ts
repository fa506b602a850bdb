import { afterEach, describe, expect, it } from 'vitest';
import { decode, DeviceEventAckMsg, DeviceRecsResponseMsg, encode, topics } from '@edgerec/proto-schemas';
import { MessageInbox, MqttTransport, startEmbeddedBroker, type EmbeddedBroker } from '@edgerec/services/bus';
import { createInMemoryEdge } from '../in-memory-edge.js';
import { DeviceGateway } from './device-gateway.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(): Promise<{ broker: EmbeddedBroker; device: MqttTransport; inbox: MessageInbox; core: ReturnType<typeof createInMemoryEdge>['core'] }> {
  const broker = await startEmbeddedBroker({
    users: [
      { username: 'edge-test', password: 'edge-pw', role: 'node' },
      { username: 'kiosk1', password: 'kiosk-pw', role: 'device' },
    ],
  });
  cleanup.push(() => broker.close());
  const { core } = createInMemoryEdge({ numItems: 20 });
  cleanup.push(() => core.close());
  const edgeTransport = new MqttTransport({ url: broker.url, clientId: 'edge-test', username: 'edge-test', password: 'edge-pw', protocolVersion: 4 });
  await edgeTransport.connect();
  cleanup.push(() => edgeTransport.close());
  const gateway = new DeviceGateway({
    transport: edgeTransport,
    ingest: (events) => core.ingestor.ingest({ events }),
    recommend: (q) => core.recommender.recommend(q),
  });
  await gateway.start();
  const device = new MqttTransport({ url: broker.url, clientId: 'kiosk1', username: 'kiosk1', password: 'kiosk-pw', protocolVersion: 4 });
  await device.connect();
  cleanup.push(() => device.close());
  const inbox = new MessageInbox();
  await device.subscribe(topics.deviceAcks('kiosk1'), inbox.handler);
  await device.subscribe(topics.deviceRecsResponse('kiosk1'), inbox.handler);
  return { broker, device, inbox, core };
}

const ackOf = (payload: Uint8Array) => {
  const r = decode(DeviceEventAckMsg, payload);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

const storedEvents = (core: ReturnType<typeof createInMemoryEdge>['core'], user: string) => core.edb.events.listByUser(user).length;

describe('DeviceGateway over a real MQTT broker', () => {
  it('stores a device event and acks it after the commit; a re-sent eventId is acked as duplicate and stored once', async () => {
    const { device, inbox, core } = await setup();
    const event = { v: 1, eventId: 'dev-e1', user: 'u1', item: 'i3', type: 'click' };
    await device.publish(topics.deviceEvents('kiosk1'), encode(event));
    const first = ackOf((await inbox.waitFor((m) => ackOf(m.payload).eventId === 'dev-e1')).payload);
    expect(first.status).toBe('accepted');
    expect(storedEvents(core, 'u1')).toBe(1);
    await device.publish(topics.deviceEvents('kiosk1'), encode(event));
    await inbox.waitFor((m) => m.topic.endsWith('/acks') && ackOf(m.payload).status === 'duplicate');
    expect(storedEvents(core, 'u1')).toBe(1);
  });

  it.each([
    ['not msgpack at all', Uint8Array.from([0xc1, 0xff, 0x00]), 'malformed'],
    ['a wrong protocol version', encode({ v: 9, eventId: 'x', user: 'u', item: 'i1', type: 'view' }), 'unsupported_version'],
    ['an invalid event', encode({ v: 1, eventId: 'bad-1', user: 'u', item: 'i1', type: 'teleport' }), 'invalid'],
    ['an unknown item', encode({ v: 1, eventId: 'bad-2', user: 'u', item: 'nope', type: 'view' }), 'unknown_item'],
    ['an oversized payload', encode({ v: 1, eventId: 'big', user: 'u', item: 'i1', type: 'view', pad: 'x'.repeat(20_000) }), 'too_large'],
  ])('refuses %s with a typed ack and stores nothing', async (_what, payload, code) => {
    const { device, inbox, core } = await setup();
    await device.publish(topics.deviceEvents('kiosk1'), payload);
    const ack = ackOf((await inbox.waitFor((m) => m.topic.endsWith('/acks'))).payload);
    expect(ack.status).toBe('rejected');
    expect(ack.code).toBe(code);
    expect(core.edb.events.count()).toBe(0);
  });

  it('answers a recommendations request on the device response topic with its requestId', async () => {
    const { device, inbox } = await setup();
    await device.publish(topics.deviceRecsRequest('kiosk1'), encode({ v: 1, user: 'u9', k: 5, requestId: 'req-1' }));
    const msg = await inbox.waitFor((m) => m.topic === topics.deviceRecsResponse('kiosk1'));
    const res = decode(DeviceRecsResponseMsg, msg.payload);
    expect(res.ok && res.value.requestId).toBe('req-1');
    expect(res.ok && res.value.items.length).toBe(5);
  });

  it('does not let a device publish events as another device', async () => {
    const { device, core } = await setup();
    await device.publish(topics.deviceEvents('kiosk2'), encode({ v: 1, eventId: 'forged', user: 'u1', item: 'i1', type: 'view' }));
    // a legitimate event after it: once its ack arrives, the forged one (earlier, same connection) was handled too
    const inbox = new MessageInbox();
    await device.subscribe(topics.deviceAcks('kiosk1'), inbox.handler);
    await device.publish(topics.deviceEvents('kiosk1'), encode({ v: 1, eventId: 'legit', user: 'u2', item: 'i1', type: 'view' }));
    await inbox.waitFor((m) => ackOf(m.payload).eventId === 'legit');
    expect(storedEvents(core, 'u1')).toBe(0);
    expect(storedEvents(core, 'u2')).toBe(1);
  });
});
