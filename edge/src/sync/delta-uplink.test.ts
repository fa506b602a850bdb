import { afterEach, describe, expect, it } from 'vitest';
import { DeltaChunkMsg, decode, encode, topics, type DeltaAckMsg } from '@edgerec/proto-schemas';
import { MemoryBroker, MemoryTransport, MessageInbox } from '@edgerec/services/bus';
import { openEdgeDatabase, type EdgeDatabase } from '@edgerec/services/store';
import { pino } from 'pino';
import { DeltaUplink, type OutboxMeta } from './delta-uplink.js';
import { createSyncMetrics } from './sync-metrics.js';
import { ManualScheduler } from '@edgerec/services/common';

const meta: OutboxMeta = { codec: 'none', roundId: 2, window: { fromEventSeq: 1, toEventSeq: 9 }, samples: 9, rows: 3, denseBytes: 48 };
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function setup(chunkBytes?: number) {
  const broker = new MemoryBroker();
  const edb: EdgeDatabase = openEdgeDatabase(':memory:');
  const edge = new MemoryTransport(broker, { clientId: 'edge-1' });
  const central = new MemoryTransport(broker, { clientId: 'central' });
  const chunks = new MessageInbox();
  await central.subscribe(topics.nodeDeltas('edge-1'), chunks.handler);
  await central.connect();
  const scheduler = new ManualScheduler();
  const metrics = createSyncMetrics();
  const verdicts: DeltaAckMsg[] = [];
  const up = new DeltaUplink({
    transport: edge, edb, nodeId: 'edge-1', scheduler, metrics, logger: pino({ level: 'silent' }), chunkBytes,
    onVerdict: (a) => verdicts.push(a),
  });
  await up.start();
  await edge.connect();
  closers.push(() => up.stop(), () => edge.close(), () => central.close(), () => edb.close());
  const ack = (deltaId: string, status: DeltaAckMsg['status'], reason?: string) =>
    central.publish(topics.nodeAcks('edge-1'), encode({ v: 1, deltaId, status, reason, roundId: 2, ts: 1 } satisfies DeltaAckMsg));
  return { edb, up, chunks, scheduler, metrics, verdicts, ack, edge };
}

const add = (edb: EdgeDatabase, deltaId: string, size = 10) =>
  edb.outbox.add({ deltaId, createdAt: 1, baseVersion: 4, bytes: new Uint8Array(size).map((_, i) => i), meta: meta as unknown as Record<string, unknown> });

const ID = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;

describe('DeltaUplink', () => {
  it('publishes a delta as chunks carrying the header, and re-sends it with backoff until acked', async () => {
    const s = await setup(4);
    add(s.edb, ID(1), 10);
    await s.up.kick();
    await s.chunks.waitForCount(3);
    await s.up.idle();
    const parsed = s.chunks.messages.map((m) => decode(DeltaChunkMsg, m.payload)).map((r) => (r.ok ? r.value : null));
    expect(parsed.map((c) => [c?.chunkIndex, c?.chunkCount, c?.data.length])).toEqual([[0, 3, 4], [1, 3, 4], [2, 3, 2]]);
    expect(parsed[0]).toMatchObject({ deltaId: ID(1), nodeId: 'edge-1', baseVersion: 4, roundId: 2, samples: 9, totalBytes: 10 });
    s.scheduler.advance(1_999);
    await new Promise((r) => setImmediate(r));
    expect(s.chunks.messages).toHaveLength(3);
    s.scheduler.advance(1);
    await s.chunks.waitForCount(6);
    await s.up.idle();
    s.scheduler.advance(4_000); // second backoff: twice the first
    await s.chunks.waitForCount(9);
    await s.ack(ID(1), 'accepted');
    await new Promise((r) => setImmediate(r));
    expect(s.edb.outbox.stats().entries).toBe(0);
    s.scheduler.advance(60_000);
    await new Promise((r) => setImmediate(r));
    expect(s.chunks.messages).toHaveLength(9);
  });

  it('deletes a rejected delta and records why, but keeps one refused for now', async () => {
    const s = await setup();
    add(s.edb, ID(1));
    add(s.edb, ID(2));
    await s.up.kick();
    await s.ack(ID(1), 'rejected', 'bad_delta: row 99 out of range');
    await s.ack(ID(2), 'rejected', 'too_many_pending: node already has 4 deltas assembling');
    await new Promise((r) => setImmediate(r));
    expect(s.edb.outbox.list().map((e) => e.deltaId)).toEqual([ID(2)]);
    expect(s.edb.config.get('sync.lastRejection')).toMatchObject({ deltaId: ID(1), reason: 'bad_delta: row 99 out of range' });
    expect((await s.metrics.deltasRejected.get()).values).toEqual([expect.objectContaining({ labels: { reason: 'bad_delta' }, value: 1 })]);
    expect(s.verdicts.map((v) => v.deltaId)).toEqual([ID(1)]);
  });

  it('publishes nothing while offline and everything again at reconnect', async () => {
    const s = await setup();
    await s.edge.simulateDisconnect();
    add(s.edb, ID(3));
    await s.up.kick();
    expect(s.chunks.messages).toHaveLength(0);
    await s.edge.connect();
    await s.chunks.waitForCount(1);
    expect(decode(DeltaChunkMsg, s.chunks.messages[0].payload)).toMatchObject({ ok: true, value: { deltaId: ID(3) } });
  });
});
