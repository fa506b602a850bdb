import { afterEach, describe, expect, it } from 'vitest';
import { decode, RoundControlMsg, topics } from '@edgerec/proto-schemas';
import { MemoryTransport, MessageInbox } from '@edgerec/services/bus';
import { AdminHarness } from './admin-harness.js';

const harnesses: AdminHarness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.cleanup();
});

const THREE = [{ id: 'edge-a', region: '1' }, { id: 'edge-b', region: '1' }, { id: 'edge-c', region: '2' }];

async function start(minNodes: number) {
  const a = await AdminHarness.start({ policy: { minNodes }, edges: THREE });
  harnesses.push(a);
  const control = new MessageInbox();
  const listener = new MemoryTransport(a.h.broker, { clientId: 'control-listener' });
  await listener.subscribe(topics.controlRounds(), control.handler);
  await listener.connect();
  const controls = () => control.messages.map((m) => decode(RoundControlMsg, m.payload)).flatMap((r) => (r.ok ? [r.value] : []));
  return { a, controls, control };
}

describe('node controls', () => {
  it('pausing a node lets the round complete without it, and is audited', async () => {
    const { a } = await start(2);
    await a.delta('edge-a', 1);
    await a.delta('edge-b', 2);
    await a.central.idle();
    expect(a.central.store.rounds.get(1)?.state).toBe('open'); // still waiting for edge-c
    const r = await a.request('POST', '/admin/nodes/edge-c/pause', { body: { reason: 'flaky uplink' } });
    expect(r.json).toMatchObject({ ok: true, nodeId: 'edge-c', paused: true });
    await a.central.idle();
    expect(a.central.store.rounds.get(1)?.state).toBe('promoted');
    expect(a.audit('node.pause')[0]).toMatchObject({ actor: 'alice', role: 'operator', target: 'edge-c', details: { reason: 'flaky uplink' } });
    const nodes = (await a.request('GET', '/admin/nodes', { as: 'viewer' })).json;
    expect(nodes.nodes.find((n: { nodeId: string }) => n.nodeId === 'edge-c')).toMatchObject({ paused: true, online: true, region: '2', modelVersion: 1 });
    expect(nodes.regions).toEqual({ 1: ['edge-a', 'edge-b'], 2: ['edge-c'] });
  });

  it('a region pause flags every node there and tells the region; resume undoes it', async () => {
    const { a, controls, control } = await start(2);
    await a.request('POST', '/admin/regions/1/pause', { body: {} });
    await control.waitFor(() => controls().some((c) => c.type === 'pause'));
    expect(controls().find((c) => c.type === 'pause')).toMatchObject({ regions: ['1'] });
    expect(a.central.store.nodes.list().filter((n) => n.paused).map((n) => n.nodeId)).toEqual(['edge-a', 'edge-b']);
    await a.request('POST', '/admin/regions/1/resume', { body: {} });
    expect(a.central.store.nodes.list().some((n) => n.paused)).toBe(false);
    expect(a.audit('region.pause')[0].details).toMatchObject({ nodeIds: ['edge-a', 'edge-b'] });
    expect(a.audit('region.resume')).toHaveLength(1);
  });

  it('quarantine excludes the node\'s deltas in the open round and refuses new ones until released', async () => {
    const { a } = await start(3);
    expect((await a.delta('edge-a', 1)).status).toBe('accepted');
    const q = await a.request('POST', '/admin/nodes/edge-a/quarantine', { body: { reason: 'poisoning suspected' } });
    expect(q.json).toMatchObject({ ok: true, quarantined: true, excludedDeltas: 1 });
    expect(a.central.store.deltas.intake(1).deltas).toBe(0);
    const refused = await a.delta('edge-a', 2);
    expect(refused).toMatchObject({ status: 'rejected', reason: expect.stringContaining('quarantined') });
    expect(a.audit('node.quarantine')[0]).toMatchObject({ target: 'edge-a', details: { excludedDeltas: 1, roundId: 1 } });
    await a.request('POST', '/admin/nodes/edge-a/release', { body: {} });
    expect((await a.delta('edge-a', 3)).status).toBe('accepted');
    expect(a.audit('node.release')).toHaveLength(1);
  });
});

describe('round and sync controls', () => {
  it('trigger asks every edge to sync now; refused while sync is stopped', async () => {
    const { a, controls, control } = await start(2);
    const r = await a.request('POST', '/admin/rounds', { body: { reason: 'demo' } });
    expect(r.json).toMatchObject({ ok: true, roundId: 1, requested: 'sync-now' });
    await control.waitFor(() => controls().some((c) => c.type === 'sync-now'));
    expect(a.audit('round.trigger')[0]).toMatchObject({ target: '1', details: { reason: 'demo' } });
    await a.request('POST', '/admin/sync/stop', { body: {} });
    const refused = await a.request('POST', '/admin/rounds', { body: {} });
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe('sync_stopped');
  });

  it('close-now aggregates what the round has, below minNodes; an empty round is abandoned', async () => {
    const { a } = await start(3);
    await a.delta('edge-a', 1);
    const r = await a.request('POST', '/admin/rounds/current/close', { body: {} });
    expect(r.json).toMatchObject({ ok: true, roundId: 1, state: 'promoted', nextRound: 2 });
    expect(a.central.activeVersion()).toBe(2);
    expect(a.central.store.rounds.get(2)).toMatchObject({ state: 'open', baseVersion: 2 });
    const empty = await a.request('POST', '/admin/rounds/current/close', { body: {} });
    expect(empty.json).toMatchObject({ roundId: 2, state: 'rejected', nextRound: 3 });
    expect(a.central.store.rounds.get(2)?.reason).toMatch(/no deltas/);
    expect(a.audit('round.close').map((e) => e.details.outcome)).toEqual(['rejected', 'promoted']);
    const timeline = (await a.request('GET', '/admin/rounds', { as: 'viewer' })).json;
    expect(timeline.rounds.map((x: { id: number }) => x.id)).toEqual([3, 2, 1]);
    expect(timeline.rounds[2]).toMatchObject({ state: 'promoted', participants: 1, nodeIds: ['edge-a'], strategy: 'fedavg', candidateVersion: 2 });
    expect(timeline.rounds[2].bytesUp).toBeGreaterThan(0);
    expect(timeline.sync).toMatchObject({ stopped: false, activeVersion: 2, currentRound: 3 });
  });

  it('stopped sync leaves deltas unacknowledged (edges keep them) and survives a restart; start resumes', async () => {
    const { a } = await start(1);
    await a.request('POST', '/admin/sync/stop', { body: { reason: 'maintenance' } });
    const edge = a.edges.get('edge-a')!;
    const sent = await edge.sendDelta(a.h.delta(1), { baseVersion: 1 });
    await a.central.idle();
    expect(a.central.store.deltas.get(sent.deltaId)).toBeNull();
    expect(edge.receivedAcks().filter((x) => x.deltaId === sent.deltaId)).toEqual([]);

    await a.h.restart();
    a.app = a.newApp();
    await a.central.idle();
    expect(a.central.rounds.suspended).toBe(true);
    expect((await a.request('GET', '/admin/sync', { as: 'viewer' })).json.stopped).toBe(true);

    await a.request('POST', '/admin/sync/start', { body: {} });
    expect((await a.delta('edge-a', 1, 1, sent.deltaId)).status).toBe('accepted');
    await a.central.idle();
    expect(a.central.store.deltas.intake(1)).toMatchObject({ deltas: 1, nodes: ['edge-a'] });
    expect(a.audit('sync.stop')[0].details).toMatchObject({ reason: 'maintenance' });
    expect(a.audit('sync.start')).toHaveLength(1);
  });

  it('maxSamples and the strategy\'s countCap are bounded policy fields, documented in the OpenAPI', async () => {
    const { a } = await start(3);
    expect((await a.request('GET', '/admin/policy', { as: 'viewer' })).json.policy).toMatchObject({
      maxSamples: 10_000_000, strategy: { name: 'fedavg', countCap: { maxNodeShare: 0.5, medianFactor: 2, minNodes: 3 } },
    });
    const put = await a.request('PUT', '/admin/policy', { body: { maxSamples: 50_000, strategy: { name: 'fedavg', countCap: { maxNodeShare: 0.4 } } } });
    expect(put.status).toBe(200);
    expect(put.json.policy).toMatchObject({ maxSamples: 50_000, strategy: { countCap: { maxNodeShare: 0.4, medianFactor: 2, minNodes: 3 } } });
    const refused = [{ maxSamples: 0 }, { maxSamples: 1.5 }, { maxSamples: 1e13 }, { strategy: { name: 'fedavg', countCap: { maxNodeShare: 0.2 } } }];
    for (const body of refused) expect((await a.request('PUT', '/admin/policy', { body })).status, JSON.stringify(body)).toBe(400);
    expect((await a.request('PUT', '/admin/policy', { body: { maxSamples: null, strategy: { name: 'fedavg', countCap: false } } })).json.policy)
      .toMatchObject({ maxSamples: 10_000_000, strategy: { countCap: false } });
    const doc = (await a.request('GET', '/admin/openapi.json', { as: null })).json;
    const update = JSON.stringify(doc.paths['/admin/policy'].put.requestBody.content['application/json'].schema) + JSON.stringify(doc.components ?? {});
    for (const field of ['maxSamples', 'countCap', 'maxNodeShare']) expect(update).toContain(field);
  });

  it('a policy change is validated, audited, applied to the next round and kept across restarts', async () => {
    const { a, controls } = await start(3);
    expect((await a.request('GET', '/admin/policy', { as: 'viewer' })).json.policy).toMatchObject({ minNodes: 3, strategy: { name: 'fedavg' } });
    const put = await a.request('PUT', '/admin/policy', {
      body: { minNodes: 2, codec: 'int8', maxStaleness: 2, strategy: { name: 'fedavg', dp: { clip: 1, noiseMultiplier: 0.5 } } },
    });
    expect(put.status).toBe(200);
    expect(put.json.policy).toMatchObject({ minNodes: 2, codec: 'int8', maxStaleness: 2, strategy: { dp: { clip: 1, noiseMultiplier: 0.5 } } });
    expect(a.audit('policy.update')[0].details).toMatchObject({ changes: { minNodes: 2 }, before: { minNodes: 3 } });
    await a.request('POST', '/admin/rounds/current/close', { body: {} });
    expect(a.central.store.rounds.get(2)?.policy).toMatchObject({ minNodes: 2, codec: 'int8' });
    expect(controls().find((c) => c.type === 'open' && c.roundId === 2)).toMatchObject({ minNodes: 2, policy: { codec: 'int8', maxStaleness: 2 } });

    await a.request('PUT', '/admin/policy', { body: { codec: null } });
    await a.h.restart();
    a.app = a.newApp();
    const after = (await a.request('GET', '/admin/policy')).json.policy;
    expect(after).toMatchObject({ minNodes: 2, maxStaleness: 2 });
    expect(after.codec).toBeUndefined();
  });
});
