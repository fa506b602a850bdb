import { describe, expect, it } from 'vitest';
import { withFaults } from './faulty-transport.js';
import { MemoryBroker } from './memory-broker.js';
import { MemoryTransport } from './memory-transport.js';
import { MessageInbox } from './message-inbox.js';
import { mulberry32 as seededRandom } from '../common/seeded-rng.js';
import type { FaultOptions } from './faulty-transport.js';

const N = 200;

/** Publishes 0..N-1 to a subscriber behind `withFaults` and returns what it saw, in order. */
async function receiveThroughFaults(opts: FaultOptions): Promise<{ seen: number[]; stats: { dropped: number; duplicated: number } }> {
  const broker = new MemoryBroker();
  const inner = new MemoryTransport(broker);
  const sub = withFaults(inner, opts);
  const seen: number[] = [];
  await sub.subscribe('t', (m) => void seen.push(new DataView(m.payload.buffer, m.payload.byteOffset).getUint32(0)));
  const done = new MessageInbox();
  await inner.subscribe('done', done.handler); // the barrier bypasses the faults
  await sub.connect();
  const pub = new MemoryTransport(broker);
  await pub.connect();
  for (let i = 0; i < N; i++) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, i);
    await pub.publish('t', b);
  }
  await pub.publish('done', new Uint8Array(0));
  await done.waitFor();
  await sub.flush();
  await sub.close();
  return { seen, stats: sub.stats };
}

describe('withFaults', () => {
  it('replays exactly the same drops and duplicates for the same seed', async () => {
    const opts = (): FaultOptions => ({ drop: 0.1, duplicate: 0.1, rng: seededRandom(42) });
    const a = await receiveThroughFaults(opts());
    const b = await receiveThroughFaults(opts());
    expect(a.seen).toEqual(b.seen);
    expect(a.stats.dropped).toBeGreaterThan(0);
    expect(a.stats.duplicated).toBeGreaterThan(0);
    const counts = new Map<number, number>();
    for (const v of a.seen) counts.set(v, (counts.get(v) ?? 0) + 1);
    expect(N - counts.size).toBe(a.stats.dropped);
    expect([...counts.values()].filter((c) => c === 2).length).toBe(a.stats.duplicated);
    expect(a.seen).toEqual([...a.seen].sort((x, y) => x - y)); // no reordering asked for
  });

  it('a different seed gives different faults', async () => {
    const a = await receiveThroughFaults({ drop: 0.1, rng: seededRandom(1) });
    const b = await receiveThroughFaults({ drop: 0.1, rng: seededRandom(2) });
    expect(a.seen).not.toEqual(b.seen);
  });

  it('reorders within the window without losing or inventing messages', async () => {
    const { seen } = await receiveThroughFaults({ reorderWindow: 5, rng: seededRandom(7) });
    expect(seen).not.toEqual([...Array(N).keys()]);
    expect([...seen].sort((x, y) => x - y)).toEqual([...Array(N).keys()]);
  });

  it('with no faults configured passes everything through in order', async () => {
    const { seen } = await receiveThroughFaults({ rng: seededRandom(3) });
    expect(seen).toEqual([...Array(N).keys()]);
  });

  it('drops and duplicates outbound publishes when asked', async () => {
    const broker = new MemoryBroker();
    const sub = new MemoryTransport(broker);
    const inbox = new MessageInbox();
    await sub.subscribe('t', inbox.handler);
    await sub.connect();
    const pub = withFaults(new MemoryTransport(broker), { drop: 0.3, duplicate: 0.3, rng: seededRandom(9), direction: 'outbound' });
    await pub.connect();
    for (let i = 0; i < 50; i++) await pub.publish('t', Uint8Array.of(i));
    await sub.subscribe('end', inbox.handler);
    const end = new MemoryTransport(broker);
    await end.connect();
    await end.publish('end', Uint8Array.of(0));
    await inbox.waitFor((m) => m.topic === 'end');
    const delivered = inbox.messages.filter((m) => m.topic === 't').length;
    expect(delivered).toBe(50 - pub.stats.dropped + pub.stats.duplicated);
    expect(pub.stats.dropped).toBeGreaterThan(0);
    expect(pub.stats.duplicated).toBeGreaterThan(0);
  });
});
