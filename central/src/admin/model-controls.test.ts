import { afterEach, describe, expect, it } from 'vitest';
import { decode, ModelManifestMsg, topics } from '@edgerec/proto-schemas';
import { MemoryTransport, MessageInbox } from '@edgerec/services/bus';
import { verifyManifest } from '../distribution/index.js';
import { AdminHarness } from './admin-harness.js';
import { canaryTopic, chooseFraction } from './canary-rollout.js';

const harnesses: AdminHarness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.cleanup();
});

const EDGES = [{ id: 'edge-a', region: '1' }, { id: 'edge-b', region: '1' }, { id: 'edge-c', region: '2' }];

/** Central with the given gate; round 1 (all three edges) has run and left candidate v2. */
async function afterFirstRound(requireHoldout: boolean) {
  const a = await AdminHarness.start({ policy: { minNodes: 3 }, gate: { requireHoldout }, edges: EDGES });
  harnesses.push(a);
  for (const [i, e] of EDGES.entries()) await a.delta(e.id, i + 1);
  await a.central.idle();
  const inbox = new MessageInbox();
  const listener = new MemoryTransport(a.h.broker, { clientId: 'model-listener' });
  await listener.subscribe('edgerec/v1/models/#', inbox.handler);
  await listener.connect();
  const manifests = (topic = topics.modelManifest()) => inbox.messages
    .filter((m) => m.topic === topic && m.payload.byteLength > 0)
    .map((m) => decode(ModelManifestMsg, m.payload))
    .flatMap((r) => (r.ok ? [r.value] : []));
  return { a, inbox, manifests };
}

describe('promote and rollback', () => {
  it('promotes a gate-rejected candidate: published, the open round rebased, audited', async () => {
    const { a, inbox, manifests } = await afterFirstRound(true);
    expect(a.central.store.registry.get(2)?.status).toBe('rejected');
    const r = await a.request('POST', '/admin/models/2/promote', { body: { reason: 'offline eval looked fine' } });
    expect(r.json).toMatchObject({ ok: true, activeVersion: 2 });
    await inbox.waitFor(() => manifests().some((m) => m.version === 2));
    expect(a.central.store.registry.get(2)).toMatchObject({ status: 'promoted', reason: expect.stringContaining('alice') });
    const open = a.central.rounds.currentRound!;
    expect(open.baseVersion).toBe(2);
    expect(a.central.store.rounds.get(open.id - 1)).toMatchObject({ state: 'rejected', reason: expect.stringMatching(/^superseded/) });
    expect((await a.delta('edge-a', 9, 2)).status).toBe('accepted');
    expect(a.audit('model.promote')[0]).toMatchObject({ actor: 'alice', target: 'v2', details: { from: 1, reason: 'offline eval looked fine' } });
    expect((await a.request('POST', '/admin/models/2/promote', { body: {} })).json.error.code).toBe('already_active');
    expect((await a.request('POST', '/admin/models/1/promote', { body: {} })).json.error.code).toBe('not_newer');
  });

  it('rolls back by re-releasing the old weights as a new version with parent = current', async () => {
    const { a, inbox, manifests } = await afterFirstRound(false);
    expect(a.central.activeVersion()).toBe(2);
    const r = await a.request('POST', '/admin/models/1/rollback', { body: { reason: 'hr dropped in region 2' } });
    expect(r.json).toMatchObject({ ok: true, rolledBackTo: 1, activeVersion: 3 });
    const v1 = a.central.store.registry.get(1)!;
    expect(a.central.store.registry.get(3)).toMatchObject({ parent: 2, status: 'promoted', sha256: v1.sha256, metrics: { copy_of: 1 } });
    expect(a.central.store.registry.get(2)).toMatchObject({ status: 'rolled-back' });
    expect(a.central.artifactBytes(3)).toEqual(a.central.artifactBytes(1));
    await inbox.waitFor(() => manifests().some((m) => m.version === 3));
    const m3 = manifests().find((m) => m.version === 3)!;
    expect(m3).toMatchObject({ parent: 2, sha256: v1.sha256, patch: { fromVersion: 2 } });
    expect(verifyManifest(m3, { [a.central.signer.keyId]: a.central.signer.publicKeyPem }).ok).toBe(true);
    expect((await a.delta('edge-a', 7, 3)).status).toBe('accepted');
    expect(a.audit('model.rollback')[0].details).toMatchObject({ from: 2, newVersion: 3 });
    const models = (await a.request('GET', '/admin/models', { as: 'viewer' })).json;
    expect(models.activeVersion).toBe(3);
    expect(models.models[0]).toMatchObject({ version: 3, active: true, lineage: [2, 1] });
  });

  it('only a released version can be rolled back to', async () => {
    const { a } = await afterFirstRound(true);
    const r = await a.request('POST', '/admin/models/2/rollback', { body: {} });
    expect(r.status).toBe(409);
    expect(r.json.error.code).toBe('never_released');
    expect(a.audit('model.rollback')).toEqual([]);
  });

  it('serves the int8 snapshot of a version with its sha256', async () => {
    const { a } = await afterFirstRound(false);
    const r = await a.request('GET', '/admin/models/2/artifact', { as: 'viewer' });
    expect(r.res.headers.get('content-type')).toBe('application/octet-stream');
    expect(r.res.headers.get('x-sha256')).toBe(a.central.store.registry.get(2)!.sha256);
    expect(new Uint8Array(await r.res.arrayBuffer())).toEqual(a.central.artifactBytes(2));
  });
});

describe('canary rollout', () => {
  it('publishes the version to the canary nodes only and compares their live metrics with the rest', async () => {
    const { a, inbox, manifests } = await afterFirstRound(true);
    const r = await a.request('POST', '/admin/models/2/canary', { body: { nodeIds: ['edge-a'], reason: 'try it' } });
    expect(r.json).toMatchObject({ ok: true, version: 2, nodeIds: ['edge-a'] });
    await inbox.waitFor(() => manifests(canaryTopic('edge-a')).length > 0);
    const m = manifests(canaryTopic('edge-a'))[0];
    expect(m.version).toBe(2);
    expect(verifyManifest(m, { [a.central.signer.keyId]: a.central.signer.publicKeyPem }).ok).toBe(true);
    expect(inbox.topics).toContain(topics.modelChunk(2, 0));
    expect(manifests(canaryTopic('edge-b'))).toEqual([]);
    expect(manifests().every((x) => x.version === 1)).toBe(true); // the global manifest did not move
    expect(a.central.store.nodes.get('edge-a')?.paused).toBe(true);
    expect((await a.request('POST', '/admin/models/2/canary', { body: { fraction: 0.5 } })).json.error.code).toBe('canary_running');

    await a.evalReport('edge-a', 2, 0.6, 0.3, 50);
    await a.evalReport('edge-b', 1, 0.5, 0.25, 40);
    await a.evalReport('edge-c', 1, 0.4, 0.2, 60);
    const view = (await a.request('GET', '/admin/models/2/canary', { as: 'viewer' })).json;
    expect(view).toMatchObject({ version: 2, running: true, nodeIds: ['edge-a'], canary: { hr10: 0.6, users: 50, nodes: 1 }, rest: { users: 100, nodes: 2 } });
    expect(view.rest.hr10).toBeCloseTo(0.44, 10);
    expect(view.hr10Delta).toBeCloseTo(0.16, 10);

    await a.request('POST', '/admin/models/2/promote', { body: {} });
    expect(a.central.activeVersion()).toBe(2);
    expect(a.central.store.nodes.get('edge-a')?.paused).toBe(false);
    await inbox.waitFor((x) => x.topic === canaryTopic('edge-a') && x.payload.byteLength === 0);
    expect((await a.request('GET', '/admin/models/2/canary')).status).toBe(404);
    expect(a.audit('model.canary.start')[0]).toMatchObject({ target: 'v2', details: { nodeIds: ['edge-a'], reason: 'try it' } });
    expect(a.audit('model.promote')[0].details).toMatchObject({ endedCanary: 2 });
  });

  it('aborting a canary re-releases the active weights under a new version so canary edges converge', async () => {
    const { a, inbox, manifests } = await afterFirstRound(true);
    await a.request('POST', '/admin/models/2/canary', { body: { fraction: 0.3 } });
    const nodeIds = a.central.store.nodes.list().filter((n) => n.paused).map((n) => n.nodeId);
    expect(nodeIds).toHaveLength(1);
    const r = await a.request('DELETE', '/admin/models/2/canary', { body: { reason: 'worse on canary' } });
    expect(r.json).toMatchObject({ ok: true, version: 2, rereleasedAs: 3 });
    expect(a.central.store.registry.get(3)).toMatchObject({ parent: 1, sha256: a.central.store.registry.get(1)!.sha256, status: 'promoted' });
    expect(a.central.store.registry.get(2)).toMatchObject({ status: 'rejected', reason: expect.stringContaining('canary aborted') });
    await inbox.waitFor(() => manifests().some((m) => m.version === 3));
    expect(a.central.store.nodes.list().some((n) => n.paused)).toBe(false);
    expect(a.audit('model.canary.abort')[0].details).toMatchObject({ reason: 'worse on canary', version: 2 });
  });

  it('a canary of an older version runs a copy under a new number', async () => {
    const { a } = await afterFirstRound(false);
    const r = await a.request('POST', '/admin/models/1/canary', { body: { nodeIds: ['edge-c'] } });
    expect(r.json).toMatchObject({ version: 3, sourceVersion: 1, nodeIds: ['edge-c'] });
    expect(a.central.store.registry.get(3)).toMatchObject({ parent: 2, status: 'candidate', metrics: { copy_of: 1 } });
    expect((await a.request('GET', '/admin/models/1/canary')).json).toMatchObject({ version: 3, sourceVersion: 1, running: true });
  });

  it('fraction picks a stable subset of at least one node', () => {
    const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
    expect(chooseFraction(ids, 0.3, 5)).toHaveLength(3);
    expect(chooseFraction(ids, 0.3, 5)).toEqual(chooseFraction([...ids].reverse(), 0.3, 5));
    expect(chooseFraction(ids, 0.01, 5)).toHaveLength(1);
    expect(chooseFraction(ids, 0.3, 6)).not.toEqual(chooseFraction(ids, 0.3, 5));
  });
});
