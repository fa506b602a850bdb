import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CentralHarness, createSigner } from '@edgerec/central';
import { createEdgeApp } from '@edgerec/edge';
import { ManifestTrust, unsyncedDelta } from '@edgerec/edge/sync/index';
import {
  canonicalManifestBytes, decode, encode, NodeStatusMsg, topics, type ModelChunkMsg, type ModelManifestMsg,
} from '@edgerec/proto-schemas';
import { MemoryTransport, MessageInbox, type Transport } from '@edgerec/services/bus';
import { decodeDelta, decodeSnapshot, encodeSnapshot } from '@edgerec/services/compression';
import { dropFirstAcks, hangFirstPublish, holdPublishes, SyncEdge, until } from './sync-edge-fixture.js';

/**
 * The edge sync client against the real central (startCentral over a MemoryBroker): uplink
 * deltas, acks and dedupe, downlink releases, rebase, restarts.
 */

const harnesses: CentralHarness[] = [];
const edges: SyncEdge[] = [];
afterEach(async () => {
  for (const e of edges.splice(0)) await e.close().catch(() => undefined);
  for (const h of harnesses.splice(0)) await h.cleanup();
});

async function setup(policy: Parameters<typeof CentralHarness.start>[0] = {}, ids = ['edge-a'], wrap?: (t: Transport) => Transport) {
  const h = await CentralHarness.start(policy);
  harnesses.push(h);
  const es: SyncEdge[] = [];
  for (const id of ids) {
    const e = await SyncEdge.start(h, id, {}, wrap);
    edges.push(e);
    es.push(e);
    await e.sync.waitForVersion(1);
  }
  return { h, es };
}

describe('edge sync with central', () => {
  it('publishes a delta, which central counts, and deletes it from the outbox on the ack', async () => {
    const { h, es: [a] } = await setup({ policy: { minNodes: 2 } });
    await a.learn(30);
    const r = await a.sync.syncNow();
    expect(r.deltaId).not.toBeNull();
    await until(() => a.edb.outbox.stats().entries === 0, 5_000, 'outbox drained');
    const stored = h.central.store.deltas.get(r.deltaId!);
    expect(stored).toMatchObject({ nodeId: 'edge-a', status: 'counted', baseVersion: 1, samples: a.trained });
  });

  it('two edges complete a round: both install the promoted version and report its evaluation', async () => {
    const { h, es } = await setup({ policy: { minNodes: 2 } }, ['edge-a', 'edge-b']);
    for (const e of es) await e.learn(40);
    for (const e of es) await e.sync.syncNow();
    await Promise.all(es.map((e) => e.sync.waitForVersion(2)));
    await h.central.idle();
    expect(h.central.store.rounds.get(1)).toMatchObject({ state: 'promoted' });
    for (const e of es) expect(e.holder.version).toBe(2);
    await until(() => (h.central.store.evals.merged(2)?.nodes ?? 0) === 2, 5_000, 'evals of v2 from both edges');
  });

  it('re-sends a delta whose ack was lost, after its backoff, and central counts it once', async () => {
    let wrapped!: ReturnType<typeof dropFirstAcks>;
    const { h, es: [a] } = await setup({ policy: { minNodes: 2 } }, ['edge-a'], (t) => (wrapped = dropFirstAcks(t, 1)));
    await a.learn(20);
    const { deltaId } = await a.sync.syncNow();
    await wrapped.dropped;
    await a.sync.idle();
    expect(a.edb.outbox.stats().entries).toBe(1);
    a.scheduler.advance(2_000); // the first re-send is due 2 s after the publish
    await until(() => a.edb.outbox.stats().entries === 0, 5_000, 'outbox drained after the re-send');
    expect(h.central.store.deltas.intake(1)).toMatchObject({ deltas: 1, nodes: ['edge-a'] });
    expect(h.central.store.deltas.get(deltaId!)?.status).toBe('counted');
    const acked = await a.sync.metrics.deltasAcked.get();
    expect(acked.values).toEqual([expect.objectContaining({ labels: { status: 'duplicate' }, value: 1 })]);
    expect((await a.sync.metrics.deltaPublishes.get()).values[0].value).toBe(2);
  });

  it('keeps serving and learning with the broker gone, and drains the outbox once it is back', async () => {
    const { h, es: [a] } = await setup({ policy: { minNodes: 2 } });
    await a.transport.simulateDisconnect();
    await a.learn(30);
    const rec = await createEdgeApp(a.core).request('/v1/recommendations?user=u1&k=5');
    expect(rec.status).toBe(200);
    expect(((await rec.json()) as { items: unknown[] }).items).toHaveLength(5);
    const r = await a.sync.syncNow();
    expect(r).toMatchObject({ connected: false, outbox: 1 });
    expect(h.central.store.deltas.get(r.deltaId!)).toBeNull();
    await a.transport.connect();
    await until(() => a.edb.outbox.stats().entries === 0, 5_000, 'outbox drained after reconnect');
    expect(h.central.store.deltas.get(r.deltaId!)?.status).toBe('counted');
  });

  it('answers syncNow within its wait when a publish hangs (broker gone mid-publish), and the delta still goes out', async () => {
    let held!: ReturnType<typeof holdPublishes>;
    const { h, es: [a] } = await setup({ policy: { minNodes: 2 } }, ['edge-a'], (t) => (held = holdPublishes(t, '/deltas')));
    await a.learn(20);
    const pending = a.sync.syncNow();
    await held.holding;
    a.scheduler.advance(5_000);
    const r = await pending;
    expect(r).toMatchObject({ published: false, outbox: 1 });
    expect(r.deltaId).not.toBeNull();
    held.release();
    await until(() => a.edb.outbox.stats().entries === 0, 5_000, 'outbox drained once the publish completed');
    expect(h.central.store.deltas.get(r.deltaId!)?.status).toBe('counted');
  });

  it('a publish whose PUBACK never comes does not wedge the uplink: the pass times out and the re-send delivers', async () => {
    let wrapped!: ReturnType<typeof hangFirstPublish>;
    const { h, es: [a] } = await setup({ policy: { minNodes: 2 } }, ['edge-a'], (t) => (wrapped = hangFirstPublish(t, '/deltas')));
    await a.learn(20);
    const pending = a.sync.syncNow();
    await wrapped.hung;
    a.scheduler.advance(5_000); // syncNow's own wait
    const { deltaId } = await pending;
    a.scheduler.advance(5_000); // 10 s: the pass gives up on the PUBACK
    await a.sync.idle();
    a.scheduler.advance(2_000); // the first re-send is due 2 s after the attempt
    await until(() => a.edb.outbox.stats().entries === 0, 5_000, 'outbox drained by the re-send');
    expect(h.central.store.deltas.get(deltaId!)?.status).toBe('counted');
  });

  it('re-sends exactly the same deltaId after a restart mid-sync', async () => {
    const { h, es: [a] } = await setup({ policy: { minNodes: 2 } });
    await a.learn(25);
    await a.transport.simulateDisconnect();
    const { deltaId } = await a.sync.syncNow();
    const [queued] = a.edb.outbox.list();
    await a.restart();
    expect(a.holder.model.tracker.samples).toBe(0); // extracted once, not again after the restart
    await until(() => a.edb.outbox.stats().entries === 0, 5_000, 'outbox drained after restart');
    const stored = h.central.store.deltas.get(deltaId!);
    expect(stored).toMatchObject({ status: 'counted', samples: a.trained });
    expect(stored?.bytes).toEqual(queued.bytes);
  });

  it('rebases un-synced local updates onto a new global model and sends them with the next delta', async () => {
    const { h, es: [a] } = await setup({ policy: { minNodes: 2, codec: 'none' } });
    const b = await h.edge('edge-b');
    await a.learn(30);
    await a.sync.syncNow();
    await until(() => a.edb.outbox.stats().entries === 0, 5_000, 'first delta acked');
    await a.learn(12, 3); // learned after the extraction: must survive the swap
    const model = a.holder.model;
    const pending = unsyncedDelta(model.weights, a.holder.base, a.edb.syncRef.load(), model.tracker);
    expect(pending.rows.length).toBeGreaterThan(0);
    await b.sendDelta(h.delta(5), { baseVersion: 1 });
    await a.sync.waitForVersion(2);
    const v2 = decodeSnapshot(h.central.artifactBytes(2)!);
    const w = a.holder.model.weights;
    const d = w.dim;
    const touched = new Set(pending.rows);
    pending.rows.forEach((r, j) => {
      for (let k = 0; k < d; k++) expect(w.itemEmb[r * d + k]).toBeCloseTo(v2.itemEmb[r * d + k] + pending.emb[j * d + k], 5);
      expect(a.holder.model.tracker.counts[r]).toBe(pending.rowCounts[j]);
    });
    for (let r = 0; r < w.numItems; r++) {
      if (!touched.has(r)) expect(Array.from(w.itemEmb.subarray(r * d, (r + 1) * d))).toEqual(Array.from(v2.itemEmb.subarray(r * d, (r + 1) * d)));
    }
    expect(Array.from(a.holder.base.itemEmb)).toEqual(Array.from(v2.itemEmb));
    await until(() => a.sync.openRound?.id === 2, 5_000, 'round 2 announced');
    const next = await a.sync.syncNow();
    await until(() => h.central.store.deltas.get(next.deltaId!) !== null, 5_000, 'second delta at central');
    const sent = decodeDelta(h.central.store.deltas.get(next.deltaId!)!.bytes!);
    expect(Array.from(sent.rows)).toEqual(Array.from(pending.rows));
    sent.emb.forEach((x, i) => expect(x).toBeCloseTo(pending.emb[i], 5));
  });

  it('refuses a release with a bad signature or a bad hash, keeps its model and reports why', async () => {
    const { h, es: [a] } = await setup();
    const rogue = new MemoryTransport(h.broker, { clientId: 'rogue' });
    await rogue.connect();
    const statuses = new MessageInbox();
    const watcher = new MemoryTransport(h.broker, { clientId: 'watcher' });
    await watcher.subscribe(topics.nodeStatus('edge-a'), statuses.handler);
    await watcher.connect();
    const v1 = h.central.publisher.manifestFor(1);
    const unsigned = { ...v1, signature: undefined };
    // Signed with a key that is not central's, under central's keyId.
    const forgedKey = generateKeyPairSync('ed25519').privateKey;
    const forged = { ...unsigned, version: 99, signature: sign(null, canonicalManifestBytes({ ...unsigned, version: 99 }), forgedKey).toString('base64') };
    await rogue.publish(topics.modelManifest(), encode(forged), { retain: true });
    // Properly signed, but the chunks are not the artifact it describes.
    const signer = createSigner(createPrivateKey(readFileSync(join(h.dataDir, 'signing-key.pem'))));
    const snapshot = h.central.artifactBytes(1)!;
    const chunk: ModelChunkMsg = { v: 1, version: 50, index: 0, count: 1, kind: 'snapshot', data: snapshot };
    await rogue.publish(topics.modelChunk(50, 0), encode(chunk), { retain: true });
    const badHash: ModelManifestMsg = signer.sign({ ...unsigned, version: 50, parent: 1, patch: undefined, chunkCount: 1, sha256: '0'.repeat(64) });
    await rogue.publish(topics.modelManifest(), encode(badHash), { retain: true });
    const quality = (m: { payload: Uint8Array }) => {
      const r = decode(NodeStatusMsg, m.payload);
      return r.ok ? r.value.quality : {};
    };
    await statuses.waitFor((m) => quality(m)['model_rejected.hash_mismatch'] === 1 && quality(m)['model_rejected.bad_signature'] === 1);
    expect(a.holder.version).toBe(1);
    const rejected = (await a.sync.metrics.modelRejected.get()).values.map((v) => [v.labels.reason, v.value]);
    expect(Object.fromEntries(rejected)).toEqual({ bad_signature: 1, hash_mismatch: 1 });
    await Promise.all([rogue.close(), watcher.close()]);
  });

  it('refuses a properly signed release whose weights are finite but absurd (3e38), and keeps serving its model', async () => {
    const { h, es: [a] } = await setup();
    const rogue = new MemoryTransport(h.broker, { clientId: 'rogue' });
    await rogue.connect();
    const v1 = h.central.publisher.manifestFor(1);
    const w = decodeSnapshot(h.central.artifactBytes(1)!);
    w.itemBias[3] = 3e38;
    const artifact = new Uint8Array(encodeSnapshot(w, 'f32-snapshot'));
    const signer = createSigner(createPrivateKey(readFileSync(join(h.dataDir, 'signing-key.pem'))));
    const chunk: ModelChunkMsg = { v: 1, version: 60, index: 0, count: 1, kind: 'snapshot', data: artifact };
    await rogue.publish(topics.modelChunk(60, 0), encode(chunk), { retain: true });
    const manifest = signer.sign({
      ...v1, signature: undefined, version: 60, parent: 1, patch: undefined, chunkCount: 1, size: artifact.byteLength,
      sha256: createHash('sha256').update(artifact).digest('hex'), codec: 'f32-snapshot',
    });
    await rogue.publish(topics.modelManifest(), encode(manifest), { retain: true });
    await until(async () => (await a.sync.metrics.modelRejected.get()).values.some((v) => v.labels.reason === 'unservable_model'), 5_000, 'refusal');
    expect(a.holder.version).toBe(1);
    const rec = await createEdgeApp(a.core).request('/v1/recommendations?user=u1&k=5');
    expect(rec.status).toBe(200);
    await rogue.close();
  });

  it('installs a canary release published on its own canary topic; other edges stay on the global model', async () => {
    const { h, es: [a, b] } = await setup({}, ['edge-a', 'edge-b']);
    const rogue = new MemoryTransport(h.broker, { clientId: 'canary-publisher' });
    await rogue.connect();
    const signer = createSigner(createPrivateKey(readFileSync(join(h.dataDir, 'signing-key.pem'))));
    const snapshot = h.central.artifactBytes(1)!;
    const { signature: _sig, ...v1 } = h.central.publisher.manifestFor(1);
    const canary = signer.sign({
      ...v1, version: 50, parent: 1, patch: undefined, chunkCount: 1, size: snapshot.byteLength,
      sha256: createHash('sha256').update(snapshot).digest('hex'),
    });
    const chunk: ModelChunkMsg = { v: 1, version: 50, index: 0, count: 1, kind: 'snapshot', data: snapshot };
    await rogue.publish(topics.modelChunk(50, 0), encode(chunk), { retain: true });
    await rogue.publish(topics.modelCanary('edge-b'), encode(canary), { retain: true });
    await b.sync.waitForVersion(50);
    expect(b.holder.version).toBe(50);
    expect(a.holder.version).toBe(1);
    await rogue.close();
  });

  it('trust-on-first-use pins the key central signs with; without it an edge with no keys refuses the release', async () => {
    const h = await CentralHarness.start({});
    harnesses.push(h);
    const tofu = await SyncEdge.start(h, 'edge-tofu', { trust: new ManifestTrust(new Map(), { trustOnFirstUse: true }) });
    const strict = await SyncEdge.start(h, 'edge-strict', { trust: new ManifestTrust(new Map()) });
    edges.push(tofu, strict);
    await tofu.sync.waitForVersion(1);
    expect(tofu.holder.version).toBe(1);
    const unknownKey = async () =>
      (await strict.sync.metrics.modelRejected.get()).values.find((v) => v.labels.reason === 'unknown_key')?.value ?? 0;
    for (const deadline = Date.now() + 5_000; (await unknownKey()) < 1 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
    expect(await unknownKey()).toBeGreaterThanOrEqual(1);
    expect(strict.holder.version).toBe(0);
  });
});
