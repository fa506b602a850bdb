import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnEdgerec, stopAll, type ManagedProcess } from '@edgerec/central/cli/process-supervisor';
import { encode, topics, type DeltaChunkMsg } from '@edgerec/proto-schemas';
import { hasMosquitto, MqttTransport, startMosquitto, type BrokerUser, type MosquittoProcess } from '@edgerec/services/bus';
import { sha256Hex } from '@edgerec/services/compression';
import { openDatabase } from '@edgerec/services/store';
import { poll as pollUntil } from './fault-cluster-fixture.js';

/**
 * The whole sync protocol across real processes: mosquitto (MQTT 5, passwords + ACL), one
 * `edgerec central` and three `edgerec edge` processes. Events go in over HTTP, rounds run,
 * every edge ends up serving the promoted versions; a broker restart in the middle of a sync
 * loses nothing and counts nothing twice; a node cannot publish under another node's id.
 */

const available = hasMosquitto();
if (!available) console.warn('sync cluster test SKIPPED: no mosquitto binary (apt-get install -y mosquitto, or set MOSQUITTO_BIN)');

const NODES = ['edge-a', 'edge-b', 'edge-c'];
const ITEMS = 200;
let dir: string;
let broker: MosquittoProcess;
const procs: ManagedProcess[] = [];
const edgeUrl: Record<string, string> = {};
const users: BrokerUser[] = [{ username: 'central', password: randomBytes(12).toString('hex'), role: 'central' },
  ...NODES.map((id) => ({ username: id, password: randomBytes(12).toString('hex'), role: 'node' as const }))];
const passwordFile = (u: string) => join(dir, `${u}.password`);

const poll = <T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false) => pollUntil(what, fn, 20_000);

/**
 * fetch, retried when the connection drops (never on an HTTP status). An edge has been seen
 * (2 of 4 clean CI runs) to close a connection around the broker restart; the cause is not
 * found yet. Every request here is safe to repeat: events are deduplicated by eventId, a
 * repeated /admin/sync at most creates one more delta, which the accounting counts, and a
 * crashed edge still fails the polls.
 */
async function fetchRetry(url: string, init?: RequestInit): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      // A bounded wait: a request that hangs fails here with its URL instead of the whole test timing out.
      return await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
    } catch (e) {
      if (attempt >= 4) throw e;
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
  }
}

const getJson = async (url: string) => (await fetchRetry(url)).json() as Promise<Record<string, unknown>>;
const modelVersion = async (id: string) => (await getJson(`${edgeUrl[id]}/v1/model`)).version as number;
async function metric(id: string, name: string): Promise<number> {
  const text = await (await fetchRetry(`${edgeUrl[id]}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
}

const t0 = Date.now();
const steps: string[] = [];
/** Records what the test is doing, so a failure says which stage it was in. */
const step = (what: string) => steps.push(`${Date.now() - t0} ms ${what}`);
let passed = false;

let nextEvent = 0;
async function ingest(id: string, n: number): Promise<void> {
  const node = NODES.indexOf(id);
  const events = Array.from({ length: n }, () => {
    const k = nextEvent++;
    return { eventId: `ev-${k}`, user: `u${node}-${k % 17}`, item: `i${(k * 13 + node * 61) % ITEMS}`, type: 'click' };
  });
  const res = await fetchRetry(`${edgeUrl[id]}/v1/events`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events }),
  });
  expect(res.status).toBe(202);
  const learner = await getJson(`${edgeUrl[id]}/v1/learner?waitFor=${(await getJson(`${edgeUrl[id]}/v1/learner`)).maxSeq}&timeoutMs=20000`);
  expect(learner.caughtUp).toBe(true);
}

const adminSync = async (id: string) =>
  (await fetchRetry(`${edgeUrl[id]}/admin/sync`, { method: 'POST' })).json() as Promise<{ deltaId: string | null }>;

function centralDeltas(): { counted: number; rejected: number; byNode: Record<string, number> } {
  const db = openDatabase(join(dir, 'central', 'central.sqlite'), { readonly: true });
  try {
    const rows = db.prepare('SELECT node_id AS node, status FROM received_deltas').all() as { node: string; status: string }[];
    const byNode: Record<string, number> = {};
    for (const r of rows) if (r.status === 'counted' || r.status === 'late') byNode[r.node] = (byNode[r.node] ?? 0) + 1;
    return { counted: Object.values(byNode).reduce((s, x) => s + x, 0), rejected: rows.length - Object.values(byNode).reduce((s, x) => s + x, 0), byNode };
  } finally {
    db.close();
  }
}

describe.skipIf(!available)('sync cluster: mosquitto + central + 3 edge processes', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edgerec-cluster-'));
    for (const u of users) writeFileSync(passwordFile(u.username), u.password, { mode: 0o600 });
    broker = await startMosquitto({ dataDir: join(dir, 'mosquitto'), users });
    const logs = join(dir, 'logs');
    procs.push(await spawnEdgerec('central', [
      'central', '--data-dir', join(dir, 'central'), '--broker', broker.url, '--protocol-version', '5',
      '--username', 'central', '--password-file', passwordFile('central'), '--min-nodes', String(NODES.length),
      '--round-interval-ms', '120000', '--num-items', String(ITEMS), '--dim', '16', '--backend', 'typed-array', '--log-level', 'warn',
    ], logs));
    const edges = await Promise.all(NODES.map((id, i) => spawnEdgerec(id, [
      'edge', '--id', id, '--region', `r${i}`, '--port', '0', '--db', join(dir, `${id}.sqlite`), '--items', String(ITEMS),
      '--dim', '16', '--durability', 'process', '--rate-per-user', '100000', '--log-level', 'warn',
      '--broker', broker.url, '--mqtt-protocol', '5', '--broker-username', id, '--broker-password-file', passwordFile(id),
      '--central-key', join(dir, 'central', 'signing-key.pub.pem'),
      // Rounds are driven by POST /admin/sync here; the interval only backs them up.
      '--sync-interval-ms', '600000', '--status-interval-ms', '2000',
    ], logs)));
    edges.forEach((p, i) => {
      procs.push(p);
      edgeUrl[NODES[i]] = String(p.ready.url);
    });
  }, 120_000);

  afterAll(async () => {
    await stopAll(procs.slice().reverse(), 5_000);
    await broker?.stop();
    if (!passed) console.error(`sync cluster stages:\n${steps.join('\n')}\nlogs kept in ${dir}`);
    else if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs rounds to promoted versions on every edge, survives a broker restart mid-sync exactly once, refuses forged publishes', async () => {
    // Every edge installs central's signed version 1 first.
    step('wait v1');
    for (const id of NODES) await poll(`${id} on v1`, async () => (await modelVersion(id)) >= 1);

    // Round 1: local learning, one delta per edge, aggregation, promotion, downlink.
    step('round 1 ingest');
    for (const id of NODES) await ingest(id, 120);
    step('round 1 sync');
    for (const id of NODES) expect((await adminSync(id)).deltaId).not.toBeNull();
    step('wait v2');
    for (const id of NODES) await poll(`${id} on v2`, async () => (await modelVersion(id)) >= 2);

    // Round 2, with the broker restarted in the middle: edge-a publishes just before the
    // broker goes down, edge-b and edge-c extract while it is down.
    step('round 2 ingest');
    for (const id of NODES) await ingest(id, 120);
    step('round 2 sync edge-a');
    const first = adminSync('edge-a');
    await broker.stop();
    step('broker stopped; sync edge-b, edge-c');
    const rest = await Promise.all(NODES.slice(1).map(adminSync));
    step('broker start');
    await broker.start();
    step('broker started');
    for (const r of [await first, ...rest]) expect(r.deltaId).not.toBeNull();
    for (const id of NODES) {
      step(`wait ${id} drained, v3`);
      await poll(`${id} outbox drained`, async () => (await metric(id, 'edgerec_outbox_entries')) === 0 && true);
      await poll(`${id} on v3`, async () => (await modelVersion(id)) >= 3);
    }

    step('accounting');
    // Exactly once: every delta an edge created is in central's table once, and acked once.
    const central = centralDeltas();
    let created = 0;
    for (const id of NODES) {
      const mine = await metric(id, 'edgerec_sync_deltas_created_total');
      expect(await metric(id, 'edgerec_sync_deltas_acked_total')).toBe(mine);
      expect(central.byNode[id]).toBe(mine);
      created += mine;
    }
    expect(created).toBeGreaterThanOrEqual(2 * NODES.length);
    expect(central).toMatchObject({ counted: created, rejected: 0 });

    // A node's credentials cannot publish under another node's id.
    const a = users.find((u) => u.username === 'edge-a')!;
    const forger = new MqttTransport({ url: broker.url, clientId: `forger-${randomUUID().slice(0, 8)}`, username: a.username, password: a.password, persistent: false });
    await forger.connect();
    const data = new Uint8Array([1, 2, 3]);
    const chunk: DeltaChunkMsg = {
      v: 1, deltaId: randomUUID(), nodeId: 'edge-b', roundId: null, baseVersion: 3, window: { fromEventSeq: 0, toEventSeq: 0 },
      samples: 1, codec: 'none', chunkIndex: 0, chunkCount: 1, totalBytes: 3, sha256: sha256Hex(data), data,
    };
    await expect(forger.publish(topics.nodeDeltas('edge-b'), encode(chunk))).rejects.toMatchObject({ code: 'publish_not_authorized' });
    await forger.close();
    expect(centralDeltas().counted).toBe(created);
    const log = readFileSync(join(dir, 'logs', 'central.log'), 'utf8');
    expect(log).not.toMatch(/"level":50/); // no errors in central's log
    passed = true;
  }, 150_000);
});
