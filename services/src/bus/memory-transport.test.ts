import { describe, expect, it } from 'vitest';
import { MemoryBroker } from './memory-broker.js';
import { MemoryTransport } from './memory-transport.js';
import { MessageInbox } from './message-inbox.js';
import { runTransportContract } from './transport-contract.js';

runTransportContract('MemoryTransport', { properties: true, sharedSubscriptions: true }, async () => {
  const broker = new MemoryBroker();
  return { createClient: (opts) => new MemoryTransport(broker, opts), close: async () => {} };
});

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('MemoryTransport specifics', () => {
  it('queues QoS 1 publishes made while disconnected and sends them on reconnect', async () => {
    const broker = new MemoryBroker();
    const sub = new MemoryTransport(broker);
    const inbox = new MessageInbox();
    await sub.subscribe('t/#', inbox.handler);
    await sub.connect();
    const edge = new MemoryTransport(broker, { clientId: 'edge', persistent: true });
    await edge.connect();
    await edge.simulateDisconnect();
    expect(edge.connected).toBe(false);
    const pending = edge.publish('t/delta', bytes('d1'));
    await edge.connect();
    await pending;
    expect((await inbox.waitFor()).topic).toBe('t/delta');
  });

  it('does not queue for a non-persistent session', async () => {
    const broker = new MemoryBroker();
    const volatile = new MemoryTransport(broker, { clientId: 'v' });
    await volatile.subscribe('t', () => {});
    await volatile.connect();
    await volatile.close();
    const pub = new MemoryTransport(broker);
    await pub.connect();
    await pub.publish('t', bytes('lost'));
    const again = new MemoryTransport(broker, { clientId: 'v' });
    const inbox = new MessageInbox();
    await again.subscribe('barrier', inbox.handler);
    await again.connect();
    await pub.publish('barrier', bytes('b'));
    await inbox.waitFor();
    expect(inbox.topics).toEqual(['barrier']);
  });

  it('drops queued messages whose expiry interval passed while offline', async () => {
    let now = 0;
    const broker = new MemoryBroker({ now: () => now });
    const sub = new MemoryTransport(broker, { clientId: 's', persistent: true });
    await sub.subscribe('t/#', () => {});
    await sub.connect();
    await sub.close();
    const pub = new MemoryTransport(broker);
    await pub.connect();
    await pub.publish('t/short', bytes('x'), { properties: { messageExpiryInterval: 5 } });
    await pub.publish('t/long', bytes('y'), { properties: { messageExpiryInterval: 60 } });
    now = 10_000;
    const back = new MemoryTransport(broker, { clientId: 's', persistent: true });
    const inbox = new MessageInbox();
    await back.subscribe('t/#', inbox.handler);
    await back.connect();
    await inbox.waitFor();
    expect(inbox.topics).toEqual(['t/long']);
  });

  it('round-robins a $share group in subscription order', async () => {
    const broker = new MemoryBroker();
    const seen: string[] = [];
    const members = ['w1', 'w2', 'w3'].map((id) => new MemoryTransport(broker, { clientId: id }));
    for (const m of members) {
      await m.subscribe('$share/g/jobs', () => void seen.push(m.clientId));
      await m.connect();
    }
    const pub = new MemoryTransport(broker);
    await pub.connect();
    const all = new MessageInbox();
    await members[0].subscribe('done', all.handler);
    for (let i = 0; i < 6; i++) await pub.publish('jobs', bytes(String(i)));
    await pub.publish('done', bytes(''));
    await all.waitFor();
    expect(seen).toEqual(['w1', 'w2', 'w3', 'w1', 'w2', 'w3']);
  });

  it('reports a failing handler as an error event without affecting other handlers', async () => {
    const broker = new MemoryBroker();
    const t = new MemoryTransport(broker);
    const firstError = new Promise<Error>((resolve) => t.on('error', resolve));
    const inbox = new MessageInbox();
    await t.subscribe('x', async () => {
      throw new Error('boom');
    });
    await t.subscribe('x', inbox.handler);
    await t.connect();
    await t.publish('x', bytes('1'));
    await inbox.waitFor();
    expect((await firstError).message).toBe('boom');
  });

  it('rejects publishing before connect with a DomainError', async () => {
    const t = new MemoryTransport(new MemoryBroker());
    await expect(t.publish('x', bytes('1'))).rejects.toMatchObject({ code: 'not_connected' });
  });
});
