import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decode, ModelManifestMsg, topics } from '@edgerec/proto-schemas';
import { MemoryTransport, MessageInbox } from '@edgerec/services/bus';
import { decodeSnapshot, encodeSnapshot } from '@edgerec/services/compression';
import { createStrategy } from '@edgerec/services/federation';
import { openCentralStore } from './store/index.js';
import { CentralHarness, type SimulatedEdge } from './testing/index.js';

const harnesses: CentralHarness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.cleanup();
});
async function harness(...args: Parameters<typeof CentralHarness.start>): Promise<CentralHarness> {
  const h = await CentralHarness.start(...args);
  harnesses.push(h);
  return h;
}

async function sendAndAck(edge: SimulatedEdge, delta: ReturnType<CentralHarness['delta']>, baseVersion: number) {
  const sent = await edge.sendDelta(delta, { baseVersion });
  return { ...sent, ack: await edge.waitAck(sent.deltaId) };
}

describe('central service', () => {
  it('restart mid-round resumes from SQLite: a re-sent delta and the last one are aggregated once each', async () => {
    const h = await harness({ policy: { minNodes: 3 } });
    const [a, b, c] = [await h.edge('edge-a'), await h.edge('edge-b'), await h.edge('edge-c')];
    await h.until(() => h.central.store.nodes.expected().length === 3);
    const [da, db, dc] = [h.delta(1), h.delta(2), h.delta(3)];
    await sendAndAck(a, da, 1);
    const sb = await sendAndAck(b, db, 1);
    expect(sb.ack.status).toBe('accepted');
    await h.central.stop();

    // While central is down: b re-sends (its ack was "lost"), c sends; the broker queues both.
    await b.sendDelta(db, { baseVersion: 1, deltaId: sb.deltaId });
    const sc = await c.sendDelta(dc, { baseVersion: 1 });
    await h.startCentral();
    expect(await b.waitAck(sb.deltaId, 2)).toMatchObject({ status: 'duplicate', roundId: 1 });
    expect(await c.waitAck(sc.deltaId)).toMatchObject({ status: 'accepted', roundId: 1 });
    await h.central.idle();

    expect(h.central.store.rounds.get(1)).toMatchObject({ state: 'promoted', stats: expect.objectContaining({ deltas: 3 }) });
    const v1 = decodeSnapshot(h.central.artifactBytes(1)!);
    const want = createStrategy({ name: 'fedavg' }).aggregate(v1, [
      { nodeId: 'edge-a', delta: da }, { nodeId: 'edge-b', delta: db }, { nodeId: 'edge-c', delta: dc },
    ]);
    expect(h.central.artifactBytes(2)).toEqual(new Uint8Array(encodeSnapshot(want.weights)));
  });

  it('a round left closed by a crash is aggregated at the next start', async () => {
    const h = await harness({ policy: { minNodes: 5 } });
    const a = await h.edge('edge-a');
    await sendAndAck(a, h.delta(1), 1);
    await h.central.stop();
    const store = openCentralStore(join(h.dataDir, 'central.sqlite'));
    store.rounds.close(1, h.scheduler.now(), 'deadline');
    store.close();
    await h.startCentral();
    await h.central.idle();
    expect(h.central.store.rounds.get(1)?.state).toBe('promoted');
    expect(h.central.store.rounds.get(2)).toMatchObject({ state: 'open', baseVersion: 2 });
    expect(h.central.activeVersion()).toBe(2);
  });

  it('keeps version 1, the signing key and the optimizer state across restarts', async () => {
    const run = async (restartBetween: boolean) => {
      const h = await harness({ policy: { minNodes: 1, strategy: { name: 'fedavgm', params: { momentum: 0.9 } } } });
      const keyId = h.central.signer.keyId;
      const a = await h.edge('edge-a');
      await sendAndAck(a, h.delta(1), 1);
      await h.central.idle();
      if (restartBetween) {
        await h.restart();
        expect(h.central.signer.keyId).toBe(keyId);
        expect(h.central.store.registry.list().map((v) => v.version)).toEqual([2, 1]);
      }
      await sendAndAck(a, h.delta(2), 2);
      await h.central.idle();
      expect(h.central.activeVersion()).toBe(3);
      return h.central.artifactBytes(3);
    };
    const straight = await run(false);
    const restarted = await run(true);
    expect(restarted).toEqual(straight); // momentum survived the restart
  });

  it('a late subscriber gets the retained manifest of the active model', async () => {
    const h = await harness();
    const late = new MemoryTransport(h.broker, { clientId: 'late' });
    const inbox = new MessageInbox();
    await late.subscribe(topics.modelManifest(), inbox.handler);
    await late.connect();
    const msg = await inbox.waitFor();
    const r = decode(ModelManifestMsg, msg.payload);
    expect(r.ok && r.value).toMatchObject({ version: 1, keyId: h.central.signer.keyId, numItems: 40, dim: 8 });
    await late.close();
  });

  it('exposes Prometheus metrics', async () => {
    const h = await harness({ policy: { minNodes: 1 } });
    const a = await h.edge('edge-a');
    await sendAndAck(a, h.delta(1), 1);
    await h.central.idle();
    const text = await h.central.metrics.registry.metrics();
    expect(text).toMatch(/edgerec_central_deltas_total\{outcome="accepted"\} 1/);
    expect(text).toMatch(/edgerec_central_model_version 2/);
    expect(text).toMatch(/edgerec_central_nodes_online 1/);
    expect(text).toMatch(/edgerec_central_rounds_total\{outcome="promoted"\} 1/);
    expect(text).toMatch(/edgerec_central_bytes_down_total\{kind="snapshot"\} [1-9]/);
    expect(text).toMatch(/edgerec_central_aggregation_ms_count 1/);
  });
});
