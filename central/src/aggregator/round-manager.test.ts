import { afterEach, describe, expect, it } from 'vitest';
import { decode, encode, ModelManifestMsg, RoundControlMsg, topics, type NodeEvalMsg } from '@edgerec/proto-schemas';
import { MemoryTransport, MessageInbox } from '@edgerec/services/bus';
import { decodeSnapshot, encodeSnapshot } from '@edgerec/services/compression';
import { createStrategy } from '@edgerec/services/federation';
import { verifyManifest } from '../distribution/index.js';
import { CentralRoundPolicy } from './round-policy.js';
import { CentralHarness } from '../testing/index.js';

let h: CentralHarness;
afterEach(async () => h?.cleanup());

async function controlInbox(): Promise<MessageInbox> {
  const t = new MemoryTransport(h.broker, { clientId: `observer-${Math.random()}` });
  const inbox = new MessageInbox();
  await t.subscribe(topics.controlRounds(), inbox.handler);
  await t.subscribe(topics.modelManifest(), inbox.handler);
  await t.connect();
  return inbox;
}

const controls = (inbox: MessageInbox) =>
  inbox.messages.filter((m) => m.topic === topics.controlRounds()).map((m) => decode(RoundControlMsg, m.payload)).flatMap((r) => (r.ok ? [r.value] : []));

describe('rounds', () => {
  it('closes when every online node reported, aggregates with FedAvg, promotes and publishes a signed manifest', async () => {
    h = await CentralHarness.start({ policy: { minNodes: 2 } });
    const inbox = await controlInbox();
    const [a, b] = [await h.edge('edge-a'), await h.edge('edge-b')];
    await h.until(() => h.central.store.nodes.expected().length === 2);
    const [da, db] = [h.delta(1), h.delta(2)];
    const sa = await a.sendDelta(da, { baseVersion: 1, roundId: 1 });
    await a.waitAck(sa.deltaId);
    expect(h.central.store.rounds.latest()?.state).toBe('open');
    const sb = await b.sendDelta(db, { baseVersion: 1, roundId: 1 });
    await b.waitAck(sb.deltaId);
    await h.central.idle();

    expect(h.central.activeVersion()).toBe(2);
    expect(h.central.store.rounds.get(1)).toMatchObject({ state: 'promoted', reason: expect.stringMatching(/^unvalidated/), candidateVersion: 2 });
    expect(h.central.store.rounds.get(2)).toMatchObject({ state: 'open', baseVersion: 2 });
    // The candidate is exactly FedAvg of the two deltas on version 1, int8-encoded.
    const v1 = decodeSnapshot(h.central.artifactBytes(1)!);
    const want = createStrategy({ name: 'fedavg' }).aggregate(v1, [{ nodeId: 'edge-a', delta: da }, { nodeId: 'edge-b', delta: db }]);
    expect(h.central.artifactBytes(2)).toEqual(new Uint8Array(encodeSnapshot(want.weights)));

    const types = controls(inbox).map((c) => `${c.type}:${'roundId' in c ? c.roundId : ''}`);
    expect(types).toEqual(['open:1', 'close:1', 'open:2']);
    const manifest = inbox.messages.filter((m) => m.topic === topics.modelManifest()).map((m) => decode(ModelManifestMsg, m.payload)).at(-1);
    expect(manifest?.ok && manifest.value.version).toBe(2);
    const verified = verifyManifest(manifest?.ok ? manifest.value : null, { [h.central.signer.keyId]: h.central.signer.publicKeyPem });
    expect(verified.ok).toBe(true);
  });

  it('with minIntervalMs opens the next round only once that long has passed since the last one opened', async () => {
    h = await CentralHarness.start({ policy: { minNodes: 1, minIntervalMs: 10_000 } });
    const a = await h.edge('edge-a');
    await h.until(() => h.central.store.nodes.expected().length === 1);
    const sa = await a.sendDelta(h.delta(1), { baseVersion: 1, roundId: 1 });
    await a.waitAck(sa.deltaId);
    await h.central.idle();
    // The gate's verdict is the round's reason; why it closed stays in its stats.
    expect(h.central.store.rounds.get(1)).toMatchObject({ state: 'promoted', stats: expect.objectContaining({ closeReason: 'complete' }) });
    expect(h.central.rounds.currentRound).toBeNull();
    // A delta meanwhile gets no verdict: it stays in the edge's outbox until the next open.
    h.scheduler.advance(9_999);
    await h.central.idle();
    expect(h.central.rounds.currentRound).toBeNull();
    h.scheduler.advance(1);
    await h.central.idle();
    expect(h.central.rounds.currentRound).toMatchObject({ id: 2, baseVersion: 2 });
  });

  it('a round with too few nodes at the deadline is reopened and keeps its deltas', async () => {
    h = await CentralHarness.start({ policy: { minNodes: 2, deadlineMs: 30_000 } });
    const [a, b] = [await h.edge('edge-a'), await h.edge('edge-b')];
    const sa = await a.sendDelta(h.delta(1), { baseVersion: 1 });
    await a.waitAck(sa.deltaId);
    h.scheduler.advance(30_000);
    await h.central.idle();
    expect(h.central.store.rounds.get(1)).toMatchObject({ state: 'rejected', reason: 'insufficient: 1 of 2 nodes by the deadline' });
    expect(h.central.store.rounds.get(2)?.state).toBe('open');
    expect(h.central.store.deltas.intake(2)).toMatchObject({ deltas: 1, nodes: ['edge-a'] });
    const sb = await b.sendDelta(h.delta(2), { baseVersion: 1 });
    expect(await b.waitAck(sb.deltaId)).toMatchObject({ status: 'accepted', roundId: 2 });
    await h.central.idle();
    expect(h.central.store.rounds.get(2)).toMatchObject({ state: 'promoted', stats: expect.objectContaining({ deltas: 2 }) });
  });

  it('at the deadline a round with minNodes closes without the silent node', async () => {
    h = await CentralHarness.start({ policy: { minNodes: 1, deadlineMs: 10_000 } });
    const a = await h.edge('edge-a');
    await h.edge('edge-b'); // online, never sends
    await h.until(() => h.central.store.nodes.expected().length === 2);
    const sa = await a.sendDelta(h.delta(1), { baseVersion: 1 });
    await a.waitAck(sa.deltaId);
    await h.central.idle();
    expect(h.central.store.rounds.get(1)?.state).toBe('open');
    h.scheduler.advance(10_000);
    await h.central.idle();
    expect(h.central.store.rounds.get(1)).toMatchObject({ state: 'promoted', closedAt: expect.any(Number) });
    expect(h.central.activeVersion()).toBe(2);
  });

  it('a node going offline (last will) is no longer waited for', async () => {
    h = await CentralHarness.start({ policy: { minNodes: 1 } });
    const a = await h.edge('edge-a');
    const b = await h.edge('edge-b');
    await h.until(() => h.central.store.nodes.expected().length === 2);
    const sa = await a.sendDelta(h.delta(1), { baseVersion: 1 });
    await a.waitAck(sa.deltaId);
    await h.central.idle();
    expect(h.central.store.rounds.get(1)?.state).toBe('open');
    await (b.transport as MemoryTransport).simulateDisconnect();
    await h.until(() => h.central.store.nodes.get('edge-b')?.online === false);
    await h.central.idle();
    expect(h.central.store.rounds.get(1)?.state).toBe('promoted');
  });

  it('async buffered mode aggregates every bufferSize deltas', async () => {
    h = await CentralHarness.start({ policy: { minNodes: 2, bufferSize: 3 } });
    const [a, b] = [await h.edge('edge-a'), await h.edge('edge-b')];
    await h.edge('edge-c'); // online, never sends
    for (const [edge, seed] of [[a, 1], [b, 2]] as const) {
      const s = await edge.sendDelta(h.delta(seed), { baseVersion: 1 });
      await edge.waitAck(s.deltaId);
    }
    await h.central.idle();
    expect(h.central.store.rounds.get(1)?.state).toBe('open'); // c is online but not waited for…
    const s = await a.sendDelta(h.delta(3), { baseVersion: 1 });
    await a.waitAck(s.deltaId);
    await h.central.idle();
    expect(h.central.store.rounds.get(1)).toMatchObject({ state: 'promoted', reason: expect.any(String), stats: expect.objectContaining({ deltas: 3 }) });
  });

  it('a late delta is down-weighted by 1/(1+√s) in the aggregate, or refused under the drop policy', async () => {
    h = await CentralHarness.start({ policy: { minNodes: 2, maxStaleness: 0, late: 'weight' } });
    const [a, b] = [await h.edge('edge-a'), await h.edge('edge-b')];
    for (const [edge, seed] of [[a, 1], [b, 2]] as const) await edge.waitAck((await edge.sendDelta(h.delta(seed), { baseVersion: 1 })).deltaId);
    await h.central.idle();
    expect(h.central.activeVersion()).toBe(2);
    h.central.rounds.setPolicy(CentralRoundPolicy.parse({ ...(h.central.store.rounds.get(2)!.policy as object), late: 'drop' })); // from round 3 on

    const [onTime, stale] = [h.delta(3), h.delta(4)];
    const sa = await a.sendDelta(onTime, { baseVersion: 2 });
    expect(await a.waitAck(sa.deltaId)).toMatchObject({ status: 'accepted', roundId: 2 });
    const sb = await b.sendDelta(stale, { baseVersion: 1 });
    expect(await b.waitAck(sb.deltaId)).toMatchObject({ status: 'accepted', roundId: 2 });
    expect(h.central.store.deltas.get(sb.deltaId)).toMatchObject({ status: 'late', weight: 0.5 });
    await h.central.idle();
    expect(h.central.activeVersion()).toBe(3);
    const v2 = decodeSnapshot(h.central.artifactBytes(2)!);
    const want = createStrategy({ name: 'fedavg' }).aggregate(v2, [
      { nodeId: 'edge-a', delta: onTime, weight: 1 },
      { nodeId: 'edge-b', delta: stale, weight: 0.5 },
    ]);
    expect(h.central.artifactBytes(3)).toEqual(new Uint8Array(encodeSnapshot(want.weights)));

    const dropped = await b.sendDelta(h.delta(5), { baseVersion: 1 });
    expect(await b.waitAck(dropped.deltaId)).toMatchObject({ status: 'rejected', reason: 'stale: base 1 is 2 versions behind 3' });
    expect(h.central.store.deltas.get(dropped.deltaId)).toMatchObject({ status: 'rejected', roundId: null });
  });

  it('a candidate the gate refuses is recorded as rejected with its reason and the old model stays active', async () => {
    h = await CentralHarness.start({ policy: { minNodes: 1, strategy: { name: 'fedadam' } }, gate: { requireHoldout: true } });
    const a = await h.edge('edge-a');
    const s = await a.sendDelta(h.delta(1), { baseVersion: 1 });
    await a.waitAck(s.deltaId);
    await h.central.idle();
    expect(h.central.activeVersion()).toBe(1);
    expect(h.central.store.registry.get(2)).toMatchObject({ status: 'rejected', reason: 'no central holdout and one is required' });
    expect(h.central.store.rounds.get(1)).toMatchObject({ state: 'rejected', reason: 'no central holdout and one is required' });
    // The optimizer state of the refused step is not kept.
    expect(h.central.store.strategyState.load('fedadam')).toBeNull();
    expect(h.central.store.strategyState.load('fedadam#pending')).toBeNull();
    expect(h.central.store.rounds.get(2)).toMatchObject({ state: 'open', baseVersion: 1 });
  });

  it('staleness counts released versions only, and a base edges never had is refused', async () => {
    h = await CentralHarness.start({ policy: { minNodes: 1, maxStaleness: 0, late: 'weight' }, gate: { requireHoldout: true } });
    const a = await h.edge('edge-a');
    await a.waitAck((await a.sendDelta(h.delta(1), { baseVersion: 1 })).deltaId);
    await h.central.idle();
    expect(h.central.store.registry.get(2)?.status).toBe('rejected'); // never released
    const ghost = await a.sendDelta(h.delta(2), { baseVersion: 2 });
    expect(await a.waitAck(ghost.deltaId)).toMatchObject({ status: 'rejected', reason: 'unknown base version 2 (current is 1)' });
    const onTime = await a.sendDelta(h.delta(3), { baseVersion: 1 });
    expect(await a.waitAck(onTime.deltaId)).toMatchObject({ status: 'accepted' });
    expect(h.central.store.deltas.get(onTime.deltaId)).toMatchObject({ status: 'counted', weight: 1 });
  });

  it('federated evaluation reports are merged into the version metrics', async () => {
    h = await CentralHarness.start();
    const edges = [await h.edge('edge-a'), await h.edge('edge-b'), await h.edge('edge-q')];
    const report = (nodeId: string, hr10: number, users: number): NodeEvalMsg => ({ v: 1, nodeId, modelVersion: 1, hr10, ndcg10: hr10 / 2, users, ts: 1 });
    h.central.store.nodes.setQuarantined('edge-q', true);
    await edges[2].transport.publish(topics.nodeEval('edge-q'), encode(report('edge-q', 0.01, 100_000))); // quarantined: ignored
    await edges[0].transport.publish(topics.nodeEval('edge-a'), encode(report('edge-a', 0.6, 300)));
    await edges[1].transport.publish(topics.nodeEval('edge-b'), encode(report('edge-b', 0.2, 100)));
    await edges[1].transport.publish(topics.nodeEval('edge-b'), encode(report('edge-a', 0.9, 100))); // forged: ignored
    await h.until(() => h.central.store.registry.get(1)?.metrics.fed_nodes === 2);
    expect(h.central.store.registry.get(1)?.metrics).toMatchObject({ 'fed_hr@10': 0.5, fed_users: 400 });
  });
});
