import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  canonicalManifestBytes, decode, DeltaAckMsg, DeviceEventAckMsg, DeviceEventMsg, DeviceRecsRequestMsg, encode, ModelChunkMsg, ModelManifestMsg, parseTopic,
  RoundControlMsg, topics, type DecodeErrorCode, type UnsignedModelManifest,
} from '@edgerec/proto-schemas';
import { MemoryBroker, MemoryTransport, MessageInbox } from '@edgerec/services/bus';
import { ManualScheduler } from '@edgerec/services/common';
import { encodeSnapshot, sha256Hex, splitChunks } from '@edgerec/services/compression';
import { createWeights, type ModelWeights } from '@edgerec/services/model';
import { openEdgeDatabase } from '@edgerec/services/store';
import { pino } from 'pino';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceGateway } from '../devices/device-gateway.js';
import { createEdgeCore, type EdgeCore } from '../edge-core.js';
import { FUZZ_RUNS, FUZZ_TIMEOUT_MS, fuzzParameters, must, payloadArb } from '../fuzz-arbitraries.js';
import { EdgeSyncClient } from './edge-sync-client.js';
import { keyIdOf, ManifestTrust } from './manifest-trust.js';
import { offlineWill } from './status-publisher.js';

/**
 * Issue #9 input fuzzing of what an edge receives over MQTT: FUZZ_RUNS messages on
 * control/rounds, models/manifest, models/canary/{id}, models/{v}/patch/{i} (+ chunks/{i} on demand),
 * nodes/{id}/acks, devices/{id}/events and devices/{id}/recs/request — arbitrary bytes,
 * msgpack bombs, random msgpack values, field-mutated valid messages, and whole releases
 * signed with the trusted key over intact or corrupted artifacts — published through a
 * MemoryBroker into a real EdgeSyncClient + DeviceGateway over a real edge core (SQLite file).
 * Properties: no handler failure or unhandled rejection; every refusal logged with its
 * decode code, counted, or (devices) answered with a typed rejected ack; refused device
 * events store nothing; only signed, decodable releases install and the model stays finite;
 * afterwards a fresh release still installs and a device event is still stored.
 */

const NODE = 'edge-f';
const DIM = 8;
const ITEMS = 40;
const ADAPTER_RANK = 2;
const scheduler = new ManualScheduler();
const broker = new MemoryBroker();
const central = generateKeyPairSync('ed25519');
const keyId = keyIdOf(central.publicKey);
interface LogLine { level: number; msg: string; code?: string; reason?: string }
const logs: LogLine[] = [];
const failures: string[] = [];
const onUnhandled = (e: unknown) => void failures.push(`unhandled rejection: ${String(e)}`);
let dir: string;
let core: EdgeCore;
let sync: EdgeSyncClient;
let fuzzer: MemoryTransport;
const deviceReplies = new MessageInbox();
const installed: number[] = [];
/** sha256 of every manifest payload sent so far (a refusal of the same bytes may be deduplicated) */
const sentManifests = new Set<string>();
let nextDelta = 0;

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  dir = mkdtempSync(join(tmpdir(), 'edge-mqtt-fuzz-'));
  const logger = pino({ level: 'warn' }, { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
  core = createEdgeCore({
    edb: openEdgeDatabase(join(dir, 'edge.db'), { durability: 'process' }), nodeId: NODE, region: 'r1', seed: 3, numItems: ITEMS, dim: DIM,
    modelConfig: { adapterRank: ADAPTER_RANK }, rateLimit: { perSecond: 1e6, burst: 1e6 }, logger,
  });
  const transport = new MemoryTransport(broker, { clientId: NODE, persistent: true, will: offlineWill(NODE, 'r1') });
  transport.on('error', (e) => void failures.push(`transport handler error: ${e.message}`));
  sync = new EdgeSyncClient({
    nodeId: NODE, region: 'r1', transport, scheduler, logger, trust: new ManifestTrust(new Map([[keyId, central.publicKey]])),
    // predictable delta ids, so fuzzed acks can name deltas that really are in the outbox
    newId: () => `00000000-0000-4000-8000-${String(++nextDelta).padStart(12, '0')}`,
  });
  await sync.start({
    holder: core.holder, checkpoint: () => core.learner.checkpoint(), edb: core.edb, registry: core.metrics.registry,
    appliedSeq: () => core.learner.applied,
  });
  sync.onInstalled((v) => void installed.push(v));
  const gateway = new DeviceGateway({
    transport, logger, ingest: (events) => core.ingestor.ingest({ events }), recommend: (q) => core.recommender.recommend(q),
  });
  await gateway.start();
  fuzzer = new MemoryTransport(broker, { clientId: 'fuzzer' });
  await fuzzer.subscribe('edgerec/v1/devices/+/acks', deviceReplies.handler);
  await fuzzer.subscribe('edgerec/v1/devices/+/recs/response', deviceReplies.handler);
  await fuzzer.connect();
}, 60_000);
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await fuzzer?.close();
  await sync?.stop();
  core?.close();
  rmSync(dir, { recursive: true, force: true });
});

// ---- releases signed with the trusted key ----
function weightsOf(seed: number, numItems = ITEMS, dim = DIM, adapterRank = ADAPTER_RANK): ModelWeights {
  const w = createWeights(numItems, dim, adapterRank);
  let s = seed;
  const next = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5) * 0.2;
  for (const a of [w.itemEmb, w.itemBias, w.adapter]) for (let i = 0; i < a.length; i++) a[i] = next();
  return w;
}
const SNAPSHOTS = [1, 2, 3].map((s) => encodeSnapshot(weightsOf(s)));
/** How a release's artifact is made when it is sent (it must fit the catalog the edge has then). */
const artifactArb = fc.record({
  how: fc.constantFrom('intact', 'intact', 'intact', 'flip', 'flip', 'truncate', 'extend', 'random', 'grow', 'dim4', 'rank1'),
  seed: fc.nat({ max: 1_000 }), at: fc.nat(), x: fc.integer({ min: 1, max: 255 }),
});
type ArtifactRecipe = typeof artifactArb extends fc.Arbitrary<infer R> ? R : never;

/** The artifact bytes (the manifest's hash will match them): intact, corrupted, random, or of another shape. */
function artifactOf(a: ArtifactRecipe, items: number): Uint8Array {
  if (a.how === 'random') return new Uint8Array(1 + (a.at % 400)).map((_, j) => (j * a.x + a.seed) & 0xff);
  if (a.how === 'grow') return encodeSnapshot(weightsOf(a.seed, items + 5));
  if (a.how === 'dim4') return encodeSnapshot(weightsOf(a.seed, items, 4));
  if (a.how === 'rank1') return encodeSnapshot(weightsOf(a.seed, items, DIM, 1));
  const b = new Uint8Array(encodeSnapshot(weightsOf(a.seed, items))); // a copy: encodeSnapshot hands out a Buffer, whose slice() is a view
  const i = a.at % b.byteLength;
  if (a.how === 'truncate') return b.subarray(0, i);
  if (a.how === 'extend') return new Uint8Array([...b, a.x]);
  if (a.how === 'flip') b[i] ^= a.x;
  return b;
}

/** The manifest fields besides `v` and `keyId` (`UnsignedModelManifest` is loose, so Omit<> would lose them). */
type ManifestFields = { [K in 'version' | 'parent' | 'createdAt' | 'sha256' | 'size' | 'codec' | 'chunkCount' | 'chunkSize' | 'numItems' | 'dim' | 'metrics']: UnsignedModelManifest[K] } & { publicKey?: string };

function signed(m: ManifestFields): Record<string, unknown> {
  const unsigned: UnsignedModelManifest = { v: 1, keyId, ...m };
  return { ...unsigned, signature: sign(null, canonicalManifestBytes(unsigned), central.privateKey).toString('base64') };
}

/**
 * A whole release — signed manifest (model or canary topic) and its snapshot chunks, in some
 * order, maybe one chunk missing — as a recipe: the version is fixed when it is sent, either
 * fresh (above everything announced, so it can install) or stale.
 */
const releaseArb = fc.record({
  fresh: fc.nat({ max: 3 }), stale: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 ** 40 }) }),
  artifact: artifactArb, chunkSize: fc.constantFrom(64, 256, 1_000, 131_072), canary: fc.boolean(), manifestFirst: fc.boolean(),
  drop: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat() }),
  numItems: fc.constantFrom(0, 0, 0, 5, -1), dim: fc.constantFrom(DIM, DIM, DIM, 4),
});
type Release = typeof releaseArb extends fc.Arbitrary<infer R> ? R : never;

/** Whether a release must install: fresh, intact, complete, and its manifest matches the edge's shape. */
const mustInstall = (r: Release) => r.stale === null && r.artifact.how === 'intact' && r.drop === null && r.numItems === 0 && r.dim === DIM;

function releaseMessages(r: Release, version: number, holderItems: number): { topic: string; payload: Uint8Array; retain?: boolean }[] {
  const artifact = artifactOf(r.artifact, holderItems);
  const parts = splitChunks(artifact, r.chunkSize);
  const manifest = signed({
    version, parent: null, createdAt: 1, sha256: sha256Hex(artifact), size: artifact.byteLength, codec: 'int8-snapshot',
    chunkCount: parts.length, chunkSize: r.chunkSize, numItems: holderItems + r.numItems, dim: r.dim, metrics: {},
  });
  const chunks = parts
    // Snapshot chunks are retained, as central publishes them: an edge fetches them when a manifest needs them.
    .map((data, index) => ({ topic: topics.modelChunk(version, index), payload: encode({ v: 1, version, index, count: parts.length, data, kind: 'snapshot' }), retain: true }))
    .filter((_, i) => r.drop === null || i !== r.drop % parts.length);
  const head = { topic: r.canary ? topics.modelCanary(NODE) : topics.modelManifest(), payload: encode(manifest) };
  return r.manifestFirst ? [head, ...chunks] : [...chunks, head];
}

// ---- valid single messages, the seeds of the mutations ----
const versionArb = fc.oneof(fc.constantFrom(0, 1, 2, 3), fc.integer({ min: 0, max: 2 ** 40 }));
const PUBLIC_KEY = central.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const signedManifests = new Map<string, Record<string, unknown>>(); // signing costs ~0.1 ms; versions repeat
const manifestArb = fc.record({ version: fc.oneof(fc.nat({ max: 60 }), fc.constant(2 ** 40)), artifact: fc.nat({ max: SNAPSHOTS.length - 1 }), numItems: fc.constantFrom(ITEMS, ITEMS + 5) })
  .map(({ version, artifact, numItems }) => {
    const key = `${version}/${artifact}/${numItems}`;
    let m = signedManifests.get(key);
    if (!m) {
      const bytes = SNAPSHOTS[artifact];
      m = signed({
        version, parent: null, createdAt: 1, sha256: sha256Hex(bytes), size: bytes.byteLength, codec: 'int8-snapshot', chunkCount: 1,
        chunkSize: 131_072, numItems, dim: DIM, metrics: { 'hr@10': 0.5 }, publicKey: PUBLIC_KEY,
      });
      signedManifests.set(key, m);
    }
    return structuredClone(m); // mutations must not reach the cached copy
  });
const chunkArb = fc
  .record({ version: versionArb, at: fc.nat(), count: fc.integer({ min: 1, max: 70_000 }), data: fc.uint8Array({ maxLength: 512 }), kind: fc.constantFrom('snapshot', 'patch') })
  .map(({ at, count, ...c }) => ({ v: 1, index: at % count, count, ...c }));
const policyArb = fc.record(
  { maxStaleness: fc.nat({ max: 5 }), late: fc.constantFrom('weight', 'drop'), codec: fc.constantFrom('none', 'int8', 'topk-int8'), topK: fc.integer({ min: 1, max: 8 }), proxMu: fc.double({ min: 0, max: 1, noNaN: true }), minSamples: fc.nat({ max: 5 }) },
  { requiredKeys: ['maxStaleness', 'late'] },
);
const targets = fc.option(fc.array(fc.constantFrom(NODE, 'other', 'r1'), { maxLength: 3 }), { nil: undefined });
const controlArb = fc.oneof(
  fc.record({ v: fc.constant(1), type: fc.constant('open'), roundId: fc.nat({ max: 50 }), baseVersion: versionArb, deadline: fc.nat(), minNodes: fc.integer({ min: 1, max: 5 }), policy: policyArb }),
  fc.record({ v: fc.constant(1), type: fc.constant('close'), roundId: fc.nat({ max: 50 }), reason: fc.constantFrom('deadline', 'insufficient', 'abandoned', 'superseded', 'quorum') }),
  fc.record({ v: fc.constant(1), type: fc.constant('sync-now'), nodeIds: targets }, { requiredKeys: ['v', 'type'] }),
  fc.record({ v: fc.constant(1), type: fc.constantFrom('pause', 'resume'), nodeIds: targets, regions: targets }, { requiredKeys: ['v', 'type'] }),
);
const deltaIdArb = fc.oneof(fc.integer({ min: 1, max: 40 }).map((n) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`), fc.uuid({ version: 4 }));
const ackArb = fc.record(
  { v: fc.constant(1), deltaId: deltaIdArb, status: fc.constantFrom('accepted', 'duplicate', 'rejected'), reason: fc.constantFrom('too_many_pending: later', 'bad_delta: x', 'stale'), roundId: fc.option(fc.nat({ max: 50 }), { nil: null }), ts: fc.nat() },
  { requiredKeys: ['v', 'deltaId', 'status', 'roundId', 'ts'] },
);
const deviceEventArb = fc.record(
  {
    v: fc.constant(1), eventId: fc.stringMatching(/^[A-Za-z0-9._:-]{1,24}$/), user: fc.constantFrom('u1', 'u2', 'u3', 'ü'),
    item: fc.oneof(fc.nat({ max: ITEMS + 2 }).map((i) => `i${i}`)), type: fc.constantFrom('view', 'click', 'purchase', 'play', 'rating'),
    weight: fc.double({ min: 0.01, max: 100, noNaN: true }), ts: fc.nat(),
  },
  { requiredKeys: ['v', 'eventId', 'user', 'item', 'type'] },
);
const recsArb = fc.record({ v: fc.constant(1), user: fc.constantFrom('u1', 'u2', 'nobody'), k: fc.integer({ min: 1, max: 100 }), requestId: fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/) }, { requiredKeys: ['v', 'user', 'k'] });
const deviceIdArb = fc.oneof({ weight: 5, arbitrary: fc.constantFrom('kiosk-1', 'kiosk-2', 'A', 'x'.repeat(64)) }, { weight: 1, arbitrary: fc.constantFrom('a b', 'ü', 'x'.repeat(65)) });

type Kind = 'control' | 'ack' | 'manifest' | 'chunk' | 'event' | 'recs' | 'release';
interface Send { kind: Kind; messages: { topic: string; payload: Uint8Array; retain?: boolean }[]; release?: Release }
const one = (kind: Kind, topic: string, retain = false) => (payload: Uint8Array): Send => ({ kind, messages: [{ topic, payload, retain }] });
const sendArb: fc.Arbitrary<Send> = fc.oneof(
  { weight: 2, arbitrary: payloadArb(controlArb).map(one('control', topics.controlRounds())) },
  { weight: 2, arbitrary: payloadArb(ackArb).map(one('ack', topics.nodeAcks(NODE))) },
  { weight: 2, arbitrary: fc.tuple(payloadArb(manifestArb), fc.boolean(), fc.boolean()).map(([p, canary, retain]) => one('manifest', canary ? topics.modelCanary(NODE) : topics.modelManifest(), retain)(p)) },
  {
    weight: 2,
    arbitrary: fc.tuple(payloadArb(chunkArb), versionArb, fc.nat({ max: 70_000 }), fc.boolean())
      .map(([p, v, i, own]) => {
        const m = decode(ModelChunkMsg, p);
        // Patch chunks are what an edge follows live; snapshot chunks only once a manifest asks for them.
        const topic = own && m.ok
          ? (m.value.kind === 'patch' ? topics.modelPatchChunk : topics.modelChunk)(m.value.version, m.value.index)
          : `edgerec/v1/models/${v}/patch/${i}`;
        return one('chunk', topic)(p);
      }),
  },
  { weight: 3, arbitrary: fc.tuple(payloadArb(deviceEventArb), deviceIdArb).map(([p, id]) => one('event', `edgerec/v1/devices/${id}/events`)(p)) },
  { weight: 1, arbitrary: fc.tuple(payloadArb(recsArb), deviceIdArb).map(([p, id]) => one('recs', `edgerec/v1/devices/${id}/recs/request`)(p)) },
  { weight: 2, arbitrary: releaseArb.map((release): Send => ({ kind: 'release', messages: [], release })) },
);

const SCHEMA = { control: RoundControlMsg, ack: DeltaAckMsg, chunk: ModelChunkMsg, event: DeviceEventMsg, recs: DeviceRecsRequestMsg } as const;
const WARNING = { control: 'invalid round control dropped', ack: 'invalid delta ack dropped', chunk: 'invalid model chunk dropped', event: 'device event refused', recs: 'device recs request refused' } as const;
const DEVICE_MAX = 16 * 1024;

const settle = async () => {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
  await sync.idle();
};
const rejectedTotal = async () => (await sync.metrics.modelRejected.get()).values.reduce((s, v) => s + v.value, 0);
const finite = (w: ModelWeights) => [w.itemEmb, w.itemBias, w.adapter].every((a) => a.every((x) => Number.isFinite(x)));

describe('edge sync client and device gateway under random MQTT payloads (issue #9)', () => {
  it(`${FUZZ_RUNS} messages on every topic an edge subscribes to: no failure, every refusal logged/counted/acked, only signed releases install`, async () => {
    const published = new Set<number>();
    const oracle = new ManifestTrust(new Map([[keyId, central.publicKey]]));
    let announced = 0;
    await fc.assert(
      fc.asyncProperty(sendArb, fc.nat({ max: 3_000 }), async (send, elapseMs) => {
        const logsBefore = logs.length;
        const repliesBefore = deviceReplies.messages.length;
        const eventsBefore = core.edb.events.count();
        let expectInstall: number | null = null;
        if (send.release) {
          const version = send.release.stale ?? Math.max(announced, core.holder.version) + 1 + send.release.fresh;
          send.messages = releaseMessages(send.release, version, core.holder.numItems);
          published.add(version);
          announced = Math.max(announced, version);
          if (mustInstall(send.release)) expectInstall = version;
        }
        for (const m of send.messages) {
          if (/\/models\/(manifest|canary\/)/.test(m.topic)) sentManifests.add(sha256Hex(m.payload));
          await fuzzer.publish(m.topic, m.payload, { retain: m.retain ?? false });
        }
        await settle();
        // timers (interval extraction, re-sends, status, refetch) run now; their async tail overlaps the next case
        scheduler.advance(elapseMs);
        must(failures.length === 0, () => failures.join('; '));
        const newLogs = logs.slice(logsBefore);
        must(!newLogs.some((l) => l.level >= 50), () => `error logged: ${JSON.stringify(newLogs.filter((l) => l.level >= 50))}`);
        must(finite(core.holder.model.weights), 'the served model has non-finite values');

        const { topic, payload } = send.messages[0];
        if (send.kind === 'manifest') {
          const raw = decode(z.unknown(), payload);
          if (raw.ok && oracle.verify(raw.value).ok) announced = Math.max(announced, (raw.value as { version: number }).version);
        } else if (send.kind !== 'release' && payload.byteLength > 0) {
          const t = parseTopic(topic);
          const r = decode(SCHEMA[send.kind], payload, send.kind === 'event' || send.kind === 'recs' ? DEVICE_MAX : undefined);
          if (!r.ok && t) {
            // a refusal is never silent: a warning (with the decode code), and for devices a typed rejected ack
            const code: DecodeErrorCode = r.error.code;
            must(newLogs.some((l) => l.msg === WARNING[send.kind as keyof typeof WARNING]), `${topic}: ${code} not logged`);
            if (send.kind !== 'chunk') must(newLogs.some((l) => l.code === code), `${topic}: logged without its code ${code}`);
            if (send.kind === 'event') {
              must(core.edb.events.count() === eventsBefore, 'a refused device event was stored');
              const acks = deviceReplies.messages.slice(repliesBefore).map((m) => decode(DeviceEventAckMsg, m.payload));
              must(acks.some((a) => a.ok && a.value.status === 'rejected' && a.value.code === code), `${topic}: no typed rejected ack`);
            }
          }
          if (r.ok && t && send.kind === 'recs') must(deviceReplies.messages.length > repliesBefore, `${topic}: no recs response`);
        }
        if (expectInstall !== null) must(core.holder.version === expectInstall, `fresh, intact, signed release ${expectInstall} did not install (at ${core.holder.version})`);
        const last = installed[installed.length - 1];
        must(last === undefined || published.has(last), `installed version ${last} was never released`);
      }),
      fuzzParameters(),
    );

    // still healthy: a fresh signed release (above any announced one) installs, a device event is stored, recommendations are finite
    const version = Math.max(announced, core.holder.version) + 1;
    const grown = encodeSnapshot(weightsOf(9, core.holder.numItems));
    const release = signed({
      version, parent: null, createdAt: 2, sha256: sha256Hex(grown), size: grown.byteLength, codec: 'int8-snapshot',
      chunkCount: 1, chunkSize: 131_072, numItems: core.holder.numItems, dim: DIM, metrics: {},
    });
    await fuzzer.publish(topics.modelChunk(version, 0), encode({ v: 1, version, index: 0, count: 1, data: grown, kind: 'snapshot' }), { retain: true });
    await fuzzer.publish(topics.modelManifest(), encode(release), { retain: true });
    await sync.waitForVersion(version, 5_000);
    expect(finite(core.holder.model.weights)).toBe(true);
    const before = core.edb.events.count();
    await fuzzer.publish(topics.deviceEvents('kiosk-1'), encode({ v: 1, eventId: 'final-check', user: 'u1', item: 'i1', type: 'click' }));
    await settle();
    expect(core.edb.events.count()).toBe(before + 1);
    const recs = core.recommender.recommend({ user: 'u1', k: 10, explain: false, explore: 0 });
    expect(recs.items.every((i) => Number.isFinite(i.score))).toBe(true);
    expect(failures).toEqual([]);
  }, FUZZ_TIMEOUT_MS);

  // Fails until model-receiver.ts dedupes refusals by the payload's bytes: today it dedupes by
  // (version, reason), so after one malformed manifest every other malformed one goes uncounted and unlogged.
  it(`${FUZZ_RUNS} manifests: every refused one is counted in edgerec_model_rejected_total, except a byte-identical re-delivery`, async () => {
    const oracle = new ManifestTrust(new Map([[keyId, central.publicKey]]));
    await fc.assert(
      fc.asyncProperty(payloadArb(manifestArb), fc.boolean(), async (payload, canary) => {
        const raw = decode(z.unknown(), payload);
        // the signature check only for what has a manifest's shape (the rest is refused for sure)
        if (payload.byteLength === 0 || (raw.ok && ModelManifestMsg.safeParse(raw.value).success && oracle.verify(raw.value).ok)) return;
        const before = await rejectedTotal();
        await fuzzer.publish(canary ? topics.modelCanary(NODE) : topics.modelManifest(), payload);
        await settle();
        const key = sha256Hex(payload);
        if (!sentManifests.has(key)) must((await rejectedTotal()) - before === 1, 'a refused manifest was not counted');
        sentManifests.add(key);
      }),
      fuzzParameters(),
    );
  }, FUZZ_TIMEOUT_MS);
});
