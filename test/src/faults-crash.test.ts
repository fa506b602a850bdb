import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultCluster, mosquittoAvailable } from './fault-cluster-fixture.js';

/**
 * kill -9 of real processes at the worst moments, on one cluster (mosquitto + central + 3
 * edges, each behind an MQTT proxy used here to hold messages at exact points): central
 * mid-round and mid-distribution, edges mid-sync and mid-ingest. Each scenario ends with the
 * cluster's invariants (acked events stored once, deltas counted once, every edge on
 * central's promoted version with exactly its weights).
 */

if (!mosquittoAvailable) console.warn('crash fault test SKIPPED: no mosquitto binary (apt-get install -y mosquitto, or set MOSQUITTO_BIN)');

const NODES = ['edge-a', 'edge-b', 'edge-c'];
let cluster: FaultCluster;
let passed = 0;
/** Set by a scenario to act on a PUBLISH central sends (runs inside its proxy, before forwarding). */
let centralTap: ((topic: string) => void) | null = null;

describe.skipIf(!mosquittoAvailable)('faults: kill -9 central and edges mid-protocol', () => {
  beforeAll(async () => {
    // 5000 × 32 makes a release two chunks, so central can die between them.
    cluster = await FaultCluster.start({
      name: 'faults-crash', nodes: NODES, items: 5000, dim: 32, onCentralPublish: (p) => p.direction === 'up' && centralTap?.(p.topic),
    });
  }, 90_000);

  afterAll(async () => {
    await cluster?.stop(passed === 3);
  });

  it('central killed mid-round, its acks never sent, resumes the round and counts each delta once', async () => {
    const c = cluster;
    for (const id of NODES) await c.ingest(id, 60);
    const before = c.activeVersion();
    const round = c.openRound()!;
    const duplicatesBefore = await Promise.all(['edge-a', 'edge-b'].map((id) => c.metric(id, 'edgerec_sync_deltas_acked_total', 'status="duplicate"')));
    c.step('b: freeze central → broker, sync edge-a, edge-b');
    c.centralProxy.freeze('up'); // central counts deltas, but neither its acks nor its PUBACKs get out
    for (const id of ['edge-a', 'edge-b']) await c.adminSync(id);
    await c.poll('2 deltas counted in the open round', () => c.centralDeltas().filter((d) => d.roundId === round).length === 2);
    c.step('b: kill -9 central');
    await c.kill('central');
    c.centralProxy.freeze('up', false);
    expect(c.centralDb((db) => db.prepare('SELECT state FROM rounds WHERE id = ?').get(round))).toEqual({ state: 'open' });
    c.step('b: restart central');
    await c.startCentral();
    await c.adminSync('edge-c');
    await c.poll('round promoted after the restart', () => c.activeVersion() > before);
    await c.expectInvariants();
    // edge-a and edge-b never saw their 'accepted': the re-sends were answered 'duplicate'.
    for (const [i, id] of ['edge-a', 'edge-b'].entries()) {
      expect(await c.metric(id, 'edgerec_sync_deltas_acked_total', 'status="duplicate"')).toBeGreaterThan(duplicatesBefore[i]);
    }
    expect(c.centralDeltas().filter((d) => d.roundId === round)).toHaveLength(3);
    passed++;
  }, 90_000);

  it('central killed mid-distribution, after the first chunk of a release: no edge installs it half, all get it after the restart', async () => {
    const c = cluster;
    for (const id of NODES) await c.ingest(id, 60);
    const before = c.activeVersion();
    let seen = false;
    centralTap = (topic) => {
      if (topic !== `edgerec/v1/models/${before + 1}/chunks/0`) return;
      c.centralProxy.freeze('up'); // chunk 0 goes through; the rest and the manifest never leave
      centralTap = null;
      seen = true;
    };
    c.step('c: sync all, wait for the first chunk of the release');
    for (const id of NODES) await c.adminSync(id);
    await c.poll(`central publishing v${before + 1}`, () => seen);
    const size = c.centralDb((db) => (db.prepare('SELECT size FROM model_registry WHERE version = ?').get(before + 1) as { size: number }).size);
    expect(size).toBeGreaterThan(128 * 1024); // more than one chunk
    // Edges take snapshot chunks only once a manifest names them (they follow patches live), so
    // the retained chunk 0 sits on the broker; the rest, the patch and the manifest never left.
    c.step('c: kill -9 central');
    await c.kill('central');
    c.centralProxy.freeze('up', false);
    expect(c.activeVersion()).toBe(before + 1); // promoted in SQLite, but only partly published
    for (const id of NODES) expect(await c.modelVersion(id)).toBe(before);
    c.step('c: restart central');
    await c.startCentral();
    await c.expectInvariants();
    expect(c.activeVersion()).toBe(before + 1);
    passed++;
  }, 90_000);

  it('edges killed mid-sync (ack lost / delta lost) and mid-ingest re-send the same deltaId, counted once', async () => {
    const c = cluster;
    for (const id of NODES) await c.ingest(id, 60);
    const before = c.activeVersion();
    c.proxies['edge-a'].setFaults('down', { drop: 1, topics: ['edgerec/v1/nodes/edge-a/acks'] });
    c.proxies['edge-b'].setFaults('up', { drop: 1, topics: ['edgerec/v1/nodes/edge-b/deltas'] });
    c.step('d: sync edge-a (its ack is lost), edge-b (its delta is lost)');
    const a = (await c.adminSync('edge-a')).deltaId!;
    const b = (await c.adminSync('edge-b')).deltaId!;
    await c.poll("edge-a's delta counted, its ack dropped", () =>
      c.centralDeltas().some((d) => d.deltaId === a) && c.proxies['edge-a'].stats.down.dropped > 0);
    await c.poll("edge-b's delta dropped", () => c.proxies['edge-b'].stats.up.dropped > 0);
    c.step('d: kill -9 edge-a during an ingest, edge-b');
    const ackedBefore = c.acked['edge-a'].size;
    const ingesting = (async () => {
      for (;;) if ((await c.postEvents('edge-a', 20).catch(() => 0)) !== 202) return;
    })();
    await c.poll('ingest batches acked', () => c.acked['edge-a'].size >= ackedBefore + 20 * 2);
    await Promise.all([c.kill('edge-a'), c.kill('edge-b')]);
    await ingesting;
    c.proxies['edge-a'].setFaults('down', undefined);
    c.proxies['edge-b'].setFaults('up', undefined);
    c.step('d: restart edge-a, edge-b');
    await Promise.all([c.startEdge('edge-a'), c.startEdge('edge-b')]);
    for (const id of ['edge-a', 'edge-b']) {
      await c.poll(`${id} outbox drained after restart`, async () => (await c.metric(id, 'edgerec_outbox_entries')) === 0);
    }
    // This process's only verdicts: edge-a's re-send was a duplicate, edge-b's the first arrival.
    expect(await c.metric('edge-a', 'edgerec_sync_deltas_acked_total', 'status="duplicate"')).toBe(1);
    expect(await c.metric('edge-b', 'edgerec_sync_deltas_acked_total', 'status="accepted"')).toBe(1);
    expect(c.centralDeltas().filter((d) => d.deltaId === a || d.deltaId === b)).toHaveLength(2);
    c.step('d: sync edge-c, finish the round');
    await c.adminSync('edge-c');
    await c.poll('round promoted', () => c.activeVersion() > before);
    await c.expectInvariants();
    passed++;
  }, 90_000);
});
