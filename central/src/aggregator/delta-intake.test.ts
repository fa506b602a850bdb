import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeltaChunkMsg } from '@edgerec/proto-schemas';
import { encodeDelta, sha256Hex } from '@edgerec/services/compression';
import { deltaOf } from '@edgerec/services/federation';
import { CentralHarness } from '../testing/index.js';

let h: CentralHarness;
afterEach(async () => h?.cleanup());

describe('delta intake', () => {
  it('a re-sent delta is acked as duplicate and counted once', async () => {
    h = await CentralHarness.start({ policy: { minNodes: 2 } });
    const edge = await h.edge('edge-1');
    const d = h.delta(1);
    const { deltaId } = await edge.sendDelta(d, { baseVersion: 1 });
    expect(await edge.waitAck(deltaId)).toMatchObject({ status: 'accepted', roundId: 1 });
    await edge.sendDelta(d, { baseVersion: 1, deltaId });
    expect(await edge.waitAck(deltaId, 2)).toMatchObject({ status: 'duplicate', roundId: 1 });
    expect(h.central.store.deltas.intake(1)).toMatchObject({ deltas: 1, nodes: ['edge-1'] });
    expect(await h.central.metrics.deltas.get()).toMatchObject({
      values: expect.arrayContaining([expect.objectContaining({ labels: { outcome: 'duplicate' }, value: 1 })]),
    });
  });

  it('a chunked delta arriving out of order is reassembled and counted', async () => {
    h = await CentralHarness.start({ policy: { minNodes: 2 } });
    const edge = await h.edge('edge-1');
    const d = h.delta(2, 30);
    const { deltaId, chunks } = await edge.sendDelta(d, { baseVersion: 1, chunkSize: 256, onlyChunks: [] });
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of [...chunks].reverse()) await edge.sendChunk(c);
    expect(await edge.waitAck(deltaId)).toMatchObject({ status: 'accepted' });
    expect(h.central.store.deltas.get(deltaId)?.bytes).toEqual(new Uint8Array(encodeDelta(d, 'none')));
  });

  it('a payload claiming another node id is rejected, logged and audited, and stores nothing', async () => {
    h = await CentralHarness.start();
    const edge = await h.edge('edge-1');
    const { deltaId } = await edge.sendDelta(h.delta(3), { baseVersion: 1, claimNodeId: 'edge-2' });
    const ack = await edge.waitAck(deltaId);
    expect(ack.status).toBe('rejected');
    expect(ack.reason).toMatch(/^node_id_mismatch/);
    expect(h.central.store.deltas.get(deltaId)).toBeNull();
    expect(h.logger.records.some((r) => r.level === 'warn' && /forged delta/.test(r.msg ?? ''))).toBe(true);
    expect(h.central.store.audit.recent()[0]).toMatchObject({ actor: 'edge-1', action: 'delta.forged_node_id', target: 'edge-2' });
  });

  it('a delta that does not decode, or does not fit the model, is rejected with the reason', async () => {
    h = await CentralHarness.start();
    const edge = await h.edge('edge-1');
    const garbage = await edge.sendDelta(h.delta(4), { baseVersion: 1, payload: new Uint8Array([1, 2, 3, 4]) });
    expect(await edge.waitAck(garbage.deltaId)).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/^bad_delta/) });
    const wrongDim = await edge.sendDelta(deltaOf({ dim: 3, rows: { 1: [1, 2, 3] } }), { baseVersion: 1 });
    expect(await edge.waitAck(wrongDim.deltaId)).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/dim 3/) });
    const outOfRange = await edge.sendDelta(deltaOf({ dim: 8, rows: { 500: [1, 0, 0, 0, 0, 0, 0, 0] } }), { baseVersion: 1 });
    expect(await edge.waitAck(outOfRange.deltaId)).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/out of range/) });
    // Finite but huge: it would overflow the aggregate into NaN scores on every edge.
    const huge = await edge.sendDelta(deltaOf({ dim: 8, rows: { 5: [3e38, 0, 0, 0, 0, 0, 0, 0] } }), { baseVersion: 1 });
    expect(await edge.waitAck(huge.deltaId)).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/exceeds/) });
    // A re-send of a rejected delta gets the same answer without being counted.
    await edge.sendDelta(h.delta(4), { baseVersion: 1, deltaId: garbage.deltaId, payload: new Uint8Array([1, 2, 3, 4]) });
    expect(await edge.waitAck(garbage.deltaId, 2)).toMatchObject({ status: 'rejected' });
    expect(h.central.store.deltas.intake(1).deltas).toBe(0);
  });

  it('row counts its samples cannot back are refused with bad_counts, acked, counted and stored as rejected', async () => {
    h = await CentralHarness.start();
    const edge = await h.edge('edge-1');
    const honest = h.delta(7); // samples = Σ counts: well within 25 row updates per sample
    const inflated = { ...honest, rowCounts: honest.rowCounts.map((c) => c * 1_000_000) };
    const { deltaId } = await edge.sendDelta(inflated, { baseVersion: 1 });
    const ack = await edge.waitAck(deltaId);
    expect(ack).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/^bad_counts: row \d+: count \d+ > \d+ \(\d+ samples × 25 rows per sample\)/) });
    expect(h.central.store.deltas.get(deltaId)).toMatchObject({ status: 'rejected', bytes: null });
    expect(await h.central.metrics.deltaRejections.get()).toMatchObject({
      values: expect.arrayContaining([expect.objectContaining({ labels: { reason: 'bad_counts' }, value: 1 })]),
    });
    // a header announcing other samples than the delta carries
    const forged = await edge.sendDelta(honest, { baseVersion: 1, payload: encodeDelta({ ...honest, samples: honest.samples * 1000 }, 'none') });
    expect(await edge.waitAck(forged.deltaId)).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/^bad_counts: header claims \d+ samples/) });
    const ok = await edge.sendDelta(honest, { baseVersion: 1 });
    expect(await edge.waitAck(ok.deltaId)).toMatchObject({ status: 'accepted' });
    expect(h.central.store.deltas.intake(1)).toMatchObject({ deltas: 1, nodes: ['edge-1'] });
  });

  it('samples above the round\'s maxSamples are refused with bad_counts, even when the counts scale along', async () => {
    h = await CentralHarness.start({ policy: { maxSamples: 1_000 } });
    const edge = await h.edge('edge-1');
    const honest = h.delta(8);
    const factor = Math.ceil(1_001 / honest.samples);
    const both = { ...honest, rowCounts: honest.rowCounts.map((c) => c * factor), adapterCount: honest.adapterCount * factor, samples: honest.samples * factor };
    const { deltaId } = await edge.sendDelta(both, { baseVersion: 1 });
    expect(await edge.waitAck(deltaId)).toMatchObject({
      status: 'rejected', reason: `bad_counts: ${both.samples} samples exceed the round's maxSamples 1000`,
    });
    expect(h.central.store.deltas.get(deltaId)?.status).toBe('rejected');
    expect(await h.central.metrics.deltaRejections.get()).toMatchObject({
      values: expect.arrayContaining([expect.objectContaining({ labels: { reason: 'bad_counts' }, value: 1 })]),
    });
    expect(h.central.store.deltas.intake(1).deltas).toBe(0);
  });

  it('deltas of a quarantined node are rejected', async () => {
    h = await CentralHarness.start();
    h.central.store.nodes.setQuarantined('edge-q', true);
    const edge = await h.edge('edge-q');
    const { deltaId } = await edge.sendDelta(h.delta(5), { baseVersion: 1 });
    expect(await edge.waitAck(deltaId)).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/quarantined/) });
    expect(h.central.store.deltas.get(deltaId)?.status).toBe('quarantined');
  });

  it('a corrupted chunk fails the sha256 check', async () => {
    h = await CentralHarness.start();
    const edge = await h.edge('edge-1');
    const { chunks } = await edge.sendDelta(h.delta(6, 30), { baseVersion: 1, chunkSize: 512, onlyChunks: [] });
    const bad = { ...chunks[1], data: chunks[1].data.map((b) => b ^ 0xff) };
    for (const c of [chunks[0], bad, ...chunks.slice(2)]) await edge.sendChunk(c);
    expect(await edge.waitAck(chunks[0].deltaId)).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/^chunk_hash_mismatch/) });
  });
});

describe('chunk limits', () => {
  const chunk = (over: Partial<DeltaChunkMsg> = {}): DeltaChunkMsg => {
    const data = new Uint8Array(100);
    return {
      v: 1, deltaId: randomUUID(), nodeId: 'edge-1', roundId: null, baseVersion: 1, window: { fromEventSeq: 0, toEventSeq: 0 },
      samples: 1, codec: 'none', chunkIndex: 0, chunkCount: 4, totalBytes: 400, sha256: sha256Hex(new Uint8Array(400)), data, ...over,
    };
  };

  it('a delta announcing more chunks or bytes than allowed is refused at its first chunk', async () => {
    h = await CentralHarness.start({ chunkLimits: { maxChunks: 8, maxDeltaBytes: 1000 } });
    const edge = await h.edge('edge-1');
    const many = chunk({ chunkCount: 9, totalBytes: 900 });
    await edge.sendChunk(many);
    expect(await edge.waitAck(many.deltaId)).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/^chunk_too_large/) });
    const huge = chunk({ chunkCount: 4, totalBytes: 4000, data: new Uint8Array(1000) });
    await edge.sendChunk(huge);
    expect(await edge.waitAck(huge.deltaId)).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/^chunk_too_large/) });
    expect(h.central.pendingDeltas()).toEqual({ count: 0, bytes: 0 });
  });

  it('one node cannot hold more than its share of assemblies', async () => {
    h = await CentralHarness.start({ chunkLimits: { maxPendingPerNode: 2 } });
    const edge = await h.edge('edge-1');
    const parts = [chunk(), chunk(), chunk()];
    for (const c of parts) await edge.sendChunk(c);
    expect(await edge.waitAck(parts[2].deltaId)).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/^too_many_pending/) });
    expect(edge.receivedAcks().map((a) => a.deltaId)).toEqual([parts[2].deltaId]);
  });

  it('a delta that never completes is dropped after the TTL, freeing its memory', async () => {
    h = await CentralHarness.start({ chunkLimits: { ttlMs: 10_000, maxPendingPerNode: 1 } });
    const edge = await h.edge('edge-1');
    const partial = chunk();
    await edge.sendChunk(partial);
    await h.until(() => h.central.pendingDeltas().count === 1);
    expect(h.central.pendingDeltas().bytes).toBe(100);
    h.scheduler.advance(16_000); // the sweep runs every ttl/2
    expect(h.central.pendingDeltas()).toEqual({ count: 0, bytes: 0 });
    expect(h.logger.records.some((r) => r.msg === 'incomplete delta dropped after TTL')).toBe(true);
    // The node's slot is free again.
    const next = chunk({ chunkCount: 1, totalBytes: 100, sha256: sha256Hex(new Uint8Array(100)) });
    await edge.sendChunk(next);
    expect(await edge.waitAck(next.deltaId)).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/^bad_delta/) });
  });
});
