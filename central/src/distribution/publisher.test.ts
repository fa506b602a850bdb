import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decode, ModelChunkMsg, ModelManifestMsg, topics } from '@edgerec/proto-schemas';
import { MemoryBroker, MemoryTransport, MessageInbox } from '@edgerec/services/bus';
import { applyPatch, decodeSnapshot } from '@edgerec/services/compression';
import { applyDelta, cloneWeights } from '@edgerec/services/model';
import { syntheticDelta, mulberry32 } from '@edgerec/services/federation';
import { ensureInitialModel } from '../aggregator/initial-model.js';
import { silentLogger } from '../central-logger.js';
import { openCentralStore } from '../store/index.js';
import { buildArtifacts } from './model-artifacts.js';
import { ModelPublisher } from './publisher.js';
import { loadOrCreateSigner } from './signer.js';
import { verifyArtifact, verifyManifest } from './verify-manifest.js';

const dir = mkdtempSync(join(tmpdir(), 'central-publisher-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function setup(chunkSize = 1024) {
  const broker = new MemoryBroker();
  const transport = new MemoryTransport(broker, { clientId: 'central' });
  await transport.connect();
  const store = openCentralStore(':memory:');
  const signer = loadOrCreateSigner({ dataDir: dir, env: {} });
  ensureInitialModel(store, { numItems: 64, config: { dim: 8, adapterRank: 2 } }, 1000);
  const publisher = new ModelPublisher({ transport, store, signer, logger: silentLogger, chunkSize });
  /** Registers version `v` = parent + a random delta, as the finalizer would. */
  const addVersion = (v: number, parent: number) => {
    const base = decodeSnapshot(store.registry.artifact(parent)!);
    const next = cloneWeights(base);
    applyDelta(next, syntheticDelta(mulberry32(v), { numItems: 64, dim: 8, rows: 10, std: 0.1 }));
    const a = buildArtifacts(next, base);
    store.registry.insert({
      version: v, parent, createdAt: 1000 + v, status: 'promoted', metrics: { 'hr@10': 0.5, 'not a metric name': 1 },
      sha256: a.sha256, size: a.artifact.byteLength, codec: a.codec, numItems: 64, dim: 8, artifact: a.artifact,
      patch: a.patch, patchSha256: a.patchSha256, roundId: null, reason: null,
    });
  };
  return { broker, store, signer, publisher, addVersion };
}

/** Reassembles what a subscriber received for one version and kind. */
function collect(inbox: MessageInbox, version: number, kind: 'snapshot' | 'patch'): Uint8Array {
  const chunks = inbox.messages
    .filter((m) => m.topic.startsWith(`edgerec/v1/models/${version}/${kind === 'patch' ? 'patch' : 'chunks'}/`) && m.payload.length > 0)
    .map((m) => decode(ModelChunkMsg, m.payload))
    .flatMap((r) => (r.ok && r.value.kind === kind ? [r.value] : []))
    .sort((a, b) => a.index - b.index);
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.data.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c.data, off);
    off += c.data.length;
  }
  return out;
}

describe('model publisher', () => {
  it('a late subscriber receives the retained signed manifest and every snapshot chunk', async () => {
    const { broker, signer, store, publisher } = await setup();
    const published = await publisher.publish(1);
    expect(published.chunkCount).toBeGreaterThan(1);

    const late = new MemoryTransport(broker, { clientId: 'late-edge' });
    await late.connect();
    const inbox = new MessageInbox();
    await late.subscribe('edgerec/v1/models/#', inbox.handler);
    const manifestMsg = await inbox.waitFor((m) => m.topic === topics.modelManifest());
    expect(manifestMsg.retain).toBe(true);
    const decoded = decode(ModelManifestMsg, manifestMsg.payload);
    expect(decoded.ok).toBe(true);
    const verified = verifyManifest(decoded.ok ? decoded.value : null, { [signer.keyId]: signer.publicKeyPem });
    expect(verified.ok).toBe(true);
    if (!verified.ok) return;
    await inbox.waitFor(() => inbox.messages.length >= verified.value.chunkCount + 1);
    const bytes = collect(inbox, 1, 'snapshot');
    expect(verifyArtifact(verified.value, bytes).ok).toBe(true);
    expect(bytes).toEqual(store.registry.artifact(1));
  });

  it('a live edge can apply the patch to its parent and lands on the snapshot', async () => {
    const { broker, publisher, addVersion, store } = await setup();
    await publisher.publish(1);
    addVersion(2, 1);
    const edge = new MemoryTransport(broker, { clientId: 'edge' });
    await edge.connect();
    const inbox = new MessageInbox();
    await edge.subscribe('edgerec/v1/models/+/patch/+', inbox.handler);
    const manifest = await publisher.publish(2);
    // Patch chunks go out live on their own topic; the snapshot stays retained for whoever needs it.
    expect(inbox.messages.every((m) => m.topic.startsWith('edgerec/v1/models/2/patch/'))).toBe(true);
    expect(manifest.patch).toMatchObject({ fromVersion: 1 });
    expect(manifest.metrics).toEqual({ 'hr@10': 0.5 }); // names the wire refuses are left out
    const patch = collect(inbox, 2, 'patch');
    expect(verifyArtifact(manifest, patch, 'patch').ok).toBe(true);
    const viaPatch = applyPatch(decodeSnapshot(store.registry.artifact(1)!), patch);
    expect(viaPatch.itemEmb).toEqual(decodeSnapshot(store.registry.artifact(2)!).itemEmb);
  });

  it('clears retained chunks of versions older than the parent', async () => {
    const { broker, publisher, addVersion } = await setup();
    await publisher.publish(1);
    addVersion(2, 1);
    await publisher.publish(2);
    addVersion(3, 2);
    await publisher.publish(3);
    const late = new MemoryTransport(broker, { clientId: 'late' });
    await late.connect();
    const inbox = new MessageInbox();
    await late.subscribe('edgerec/v1/models/+/chunks/+', inbox.handler);
    await inbox.waitFor((m) => m.topic.startsWith('edgerec/v1/models/3/'));
    const versions = new Set(inbox.messages.map((m) => m.topic.split('/')[3]));
    expect(versions).toEqual(new Set(['2', '3']));
  });
});
