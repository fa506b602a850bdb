import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from './embedded-broker.js';
import { MqttFrameReader, readPublishHeader } from './mqtt-frame-reader.js';
import { startMqttFaultProxy, type MqttFaultProxy, type MqttFaultProxyOptions } from './mqtt-fault-proxy.js';
import { MqttTransport } from './mqtt-transport.js';
import type { TransportMessage } from './transport.js';

/** Polls a condition (real state) with a deadline; no fixed sleeps. */
async function until(what: string, fn: () => boolean, timeoutMs = 5_000): Promise<void> {
  const start = Date.now();
  while (!fn()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let broker: EmbeddedBroker;
let proxy: MqttFaultProxy | undefined;
const clients: MqttTransport[] = [];

beforeEach(async () => {
  broker = await startEmbeddedBroker();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await proxy?.close();
  proxy = undefined;
  await broker.close();
});

async function client(url: string, name: string): Promise<MqttTransport> {
  const t = new MqttTransport({ url, clientId: `${name}-${randomUUID().slice(0, 8)}`, protocolVersion: 4, reconnectMs: 50, maxReconnectMs: 100 });
  clients.push(t);
  await t.connect();
  return t;
}

/** A publisher behind the proxy and a subscriber on the broker directly (so only one hop has faults). */
async function pair(opts: Omit<MqttFaultProxyOptions, 'target'>) {
  proxy = await startMqttFaultProxy({ target: broker.url, ...opts });
  const got: TransportMessage[] = [];
  const sub = await client(broker.url, 'sub');
  await sub.subscribe('t/#', (m) => void got.push(m));
  const pub = await client(proxy.url, 'pub');
  return { got, pub, sub, proxy };
}

const body = (i: number) => new TextEncoder().encode(String(i));
const numbers = (got: TransportMessage[]) => got.map((m) => Number(new TextDecoder().decode(m.payload)));

describe('MqttFrameReader', () => {
  it('cuts any split of a packet stream back into the same packets', () => {
    const packet = fc.tuple(fc.integer({ min: 1, max: 15 }), fc.integer({ min: 0, max: 300 })).map(([type, n]) => frame(type, n));
    fc.assert(
      fc.property(fc.array(packet, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 6 }), (packets, cuts) => {
        const stream = Buffer.concat(packets);
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const reader = new MqttFrameReader();
        const out: Buffer[] = [];
        let prev = 0;
        for (const p of [...points, stream.length]) {
          out.push(...reader.push(stream.subarray(prev, p)));
          prev = p;
        }
        expect(out.map((b) => b.toString('hex'))).toEqual(packets.map((b) => b.toString('hex')));
        expect(reader.buffered).toBe(0);
      }),
    );
  });

  it('reads multi-byte remaining lengths and refuses a fifth length byte', () => {
    const big = frame(3, 200_000);
    expect(new MqttFrameReader().push(big)).toHaveLength(1);
    expect(() => new MqttFrameReader().push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toThrow(/remaining length/);
  });

  it('reads topic, QoS, flags and packet id of a PUBLISH', () => {
    const topic = Buffer.from('a/b');
    const p = Buffer.concat([Buffer.from([0x3b, 2 + 3 + 2 + 1, 0, 3]), topic, Buffer.from([0x12, 0x34, 0xaa])]);
    expect(readPublishHeader(p)).toEqual({ topic: 'a/b', qos: 1, retain: true, dup: true, packetId: 0x1234 });
  });
});

describe('MqttFaultProxy against aedes', { timeout: 15_000 }, () => {
  it('passes QoS 0/1, retained and large messages through unchanged without faults', async () => {
    const { got, pub } = await pair({});
    const large = new Uint8Array(300_000).map((_, i) => i % 251);
    await pub.publish('t/large', large, { qos: 1 });
    await pub.publish('t/q0', body(1), { qos: 0 });
    await pub.publish('t/kept', body(2), { qos: 1, retain: true });
    await until('3 messages', () => got.length === 3);
    expect(Buffer.from(got[0].payload).equals(Buffer.from(large))).toBe(true);
    const late = await client(proxy!.url, 'late'); // a retained message crosses the proxy downstream
    const kept: TransportMessage[] = [];
    await late.subscribe('t/kept', (m) => void kept.push(m));
    await until('retained message', () => kept.length === 1);
    expect(proxy!.stats.up).toMatchObject({ publishes: 3, dropped: 0, duplicated: 0 });
  });

  it('drops every selected PUBLISH and answers the QoS 1 ones with a PUBACK, so publishes still resolve', async () => {
    const { got, pub, proxy: p } = await pair({ up: { drop: 1, topics: ['t/lost/#'] } });
    for (let i = 0; i < 5; i++) await pub.publish('t/lost/x', body(i), { qos: 1 });
    await pub.publish('t/kept', body(99), { qos: 1 });
    await until('the unfiltered message', () => got.length === 1);
    expect(numbers(got)).toEqual([99]);
    expect(p.stats.up).toMatchObject({ dropped: 5, acksFaked: 5 });
  });

  it('duplicates every PUBLISH with DUP set and swallows the surplus PUBACKs', async () => {
    const { got, pub, proxy: p } = await pair({ up: { duplicate: 1 } });
    for (let i = 0; i < 4; i++) await pub.publish('t/x', body(i), { qos: 1 });
    await until('8 deliveries', () => got.length === 8);
    expect(numbers(got)).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    await until('surplus acks swallowed', () => p.stats.down.acksSwallowed === 4);
    expect(p.stats.up.duplicated).toBe(4);
  });

  it('reorders within the window, the same way for the same seed, losing nothing', async () => {
    const run = async (seed: number) => {
      const { got, pub } = await pair({ seed, up: { reorderWindow: 4 }, maxHoldMs: 60_000 });
      for (let i = 0; i < 20; i++) await pub.publish('t/x', body(i), { qos: 0 });
      await until('17 through the window', () => got.length === 17); // 3 wait for the next packet
      await pub.close(); // DISCONNECT releases what is held
      await until('all 20', () => got.length === 20);
      await proxy!.close();
      await Promise.all(clients.splice(0).map((c) => c.close()));
      return numbers(got);
    };
    const a = await run(3);
    const b = await run(3);
    expect(a).toEqual(b);
    expect(a).not.toEqual([...a].sort((x, y) => x - y));
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('releases held messages after the maximum hold time', async () => {
    const { got, pub, proxy: p } = await pair({ up: { reorderWindow: 10 }, maxHoldMs: 50 });
    await pub.publish('t/x', body(1), { qos: 0 });
    await pub.publish('t/x', body(2), { qos: 0 });
    await until('both released', () => got.length === 2);
    expect(p.stats.up.reordered).toBe(2);
  });

  it('applies faults broker → client too (downstream drop of QoS 1 acks the broker)', async () => {
    proxy = await startMqttFaultProxy({ target: broker.url, down: { drop: 1 } });
    const behind = await client(proxy.url, 'behind');
    const got: TransportMessage[] = [];
    await behind.subscribe('t/#', (m) => void got.push(m));
    const direct = await client(broker.url, 'direct');
    for (let i = 0; i < 3; i++) await direct.publish('t/x', body(i), { qos: 1 });
    await until('3 dropped', () => proxy!.stats.down.dropped === 3);
    expect(proxy.stats.down.acksFaked).toBe(3);
    proxy.setFaults('down', undefined);
    await direct.publish('t/x', body(7), { qos: 1 });
    await until('delivery after faults are off', () => got.length === 1);
    expect(numbers(got)).toEqual([7]);
  });

  it('freezes a direction and forwards what queued once thawed', async () => {
    const { got, pub, proxy: p } = await pair({});
    p.freeze('up');
    const sent = pub.publish('t/x', body(5), { qos: 1 });
    await until('packet stalled', () => p.stats.up.stalled === 1);
    expect(got).toHaveLength(0);
    p.freeze('up', false);
    await sent;
    await until('delivered after thaw', () => got.length === 1);
  });

  it('cuts connections and keeps clients out during a partition; they reconnect after', async () => {
    const { got, pub, proxy: p } = await pair({});
    p.partition(true);
    await until('client sees the cut', () => !pub.connected);
    expect(p.stats.cuts).toBe(1);
    const queued = pub.publish('t/x', body(3), { qos: 1 }); // waits in mqtt.js for the reconnect
    p.partition(false);
    await queued;
    await until('delivered after the partition', () => got.length === 1);
    expect(p.cut()).toBe(1);
    await until('reconnected after a cut', () => pub.connected && p.openConnections === 1);
  });
});

/** An MQTT-framed packet of `type` with `n` body bytes. */
function frame(type: number, n: number): Buffer {
  const len: number[] = [];
  let x = n;
  do {
    let byte = x % 128;
    x = Math.floor(x / 128);
    if (x > 0) byte |= 0x80;
    len.push(byte);
  } while (x > 0);
  return Buffer.concat([Buffer.from([type << 4, ...len]), Buffer.alloc(n, n & 0xff)]);
}
