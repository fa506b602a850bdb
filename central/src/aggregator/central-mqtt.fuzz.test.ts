import fc from 'fast-check';
import { decode, DeltaChunkMsg, encode, NodeEvalMsg, NodeStatusMsg, parseTopic, type DecodeErrorCode } from '@edgerec/proto-schemas';
import { FUZZ_RUNS, FUZZ_TIMEOUT_MS, fuzzParameters, must, payloadArb } from '@edgerec/edge/fuzz-arbitraries';
import { MemoryTransport } from '@edgerec/services/bus';
import { decodeDelta, encodeDelta, sha256Hex, splitChunks, validateDelta } from '@edgerec/services/compression';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CentralHarness, HARNESS_MODEL, harnessDelta, type SimulatedEdge } from '../testing/index.js';
import { ActiveModel } from './active-model.js';

/**
 * Issue #9 input fuzzing of what central receives over MQTT: FUZZ_RUNS payloads on
 * `nodes/{id}/deltas`, `nodes/{id}/status` and `nodes/{id}/eval` (arbitrary bytes, msgpack
 * bombs, random msgpack values, field-mutated valid messages, corrupted delta bodies with a
 * matching hash) published through a MemoryBroker into a real central (CentralHarness).
 * Properties: no handler failure or unhandled rejection; every undecodable payload is
 * counted/logged with its decode error code; nothing invalid is stored; central stays
 * healthy (a real edge's delta is still counted, a round still aggregates into a finite model).
 */

let h: CentralHarness;
let fuzzer: MemoryTransport;
let edge: SimulatedEdge;
const failures: string[] = [];
const onUnhandled = (e: unknown) => void failures.push(`unhandled rejection: ${String(e)}`);
const ADAPTER_LENGTH = 2 * HARNESS_MODEL.dim * HARNESS_MODEL.adapterRank + 1;

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  // minNodes and deadline far out: the round stays open (id 1) until the test closes it
  h = await CentralHarness.start({ policy: { minNodes: 1_000, deadlineMs: 7 * 24 * 3_600_000 } });
  h.central.transport.on('error', (e) => void failures.push(`transport handler error: ${e.message}`));
  edge = await h.edge('edge-a');
  fuzzer = new MemoryTransport(h.broker, { clientId: 'fuzzer' });
  await fuzzer.connect();
}, 60_000);
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await fuzzer?.close();
  await h?.cleanup();
});

// ---- valid messages, the seeds of the mutations ----
/** Senders: the harness edge, fuzz nodes, and ids at the edges of the alphabet. */
const NODE_IDS = ['edge-a', 'fz-1', 'fz-2', 'fz-3', 'A', '_', '-', 'x'.repeat(64), 'Z9_-z'];
const DELTA_POOL = Array.from({ length: 12 }, (_, i) => {
  const codec = (['none', 'int8', 'topk-int8'] as const)[i % 3];
  return { codec, bytes: encodeDelta(harnessDelta(100 + i, 1 + (i % 7)), codec) };
});

/** A delta body: a real encoding, or (`corrupt`) one with bytes flipped/cut/extended — the header then matches it. */
const deltaBodyArb = (corrupt: boolean) =>
  fc.tuple(fc.nat({ max: DELTA_POOL.length - 1 }), fc.constantFrom('flip', 'truncate', 'extend', 'random'), fc.nat(), fc.integer({ min: 1, max: 255 }))
    .map(([i, how, at, x]) => {
      const { codec, bytes } = DELTA_POOL[i];
      if (!corrupt) return { codec, bytes };
      const k = at % bytes.byteLength;
      if (how === 'truncate') return { codec, bytes: new Uint8Array(bytes.subarray(0, k)) };
      if (how === 'extend') return { codec, bytes: new Uint8Array([...bytes, x, x, x]) };
      if (how === 'random') return { codec, bytes: new Uint8Array(k + 1).map((_, j) => (j * x + at) & 0xff) };
      const b = new Uint8Array(bytes); // a copy: the pool holds Buffers, whose slice() is a view
      b[k] ^= x;
      return { codec, bytes: b };
    });

/** One chunk of a delta: whole and intact, or (`rough`) with a corrupted body and/or one chunk of several. */
const deltaChunkArb = (nodeId: string, rough: boolean) =>
  fc.record({
    deltaId: fc.uuid({ version: 4 }), roundId: fc.option(fc.constantFrom(1, 1, 2, 1_000_000), { nil: null }), baseVersion: fc.constantFrom(1, 1, 1, 0, 2, 99),
    body: rough ? fc.oneof(deltaBodyArb(true), deltaBodyArb(false)) : deltaBodyArb(false), parts: rough ? fc.constantFrom(1, 2, 3) : fc.constant(1),
    pick: fc.nat(), samples: fc.oneof(fc.nat({ max: 500 }), fc.constant(Number.MAX_SAFE_INTEGER)),
  }).map(({ deltaId, roundId, baseVersion, body, parts, pick, samples }) => {
    const chunks = splitChunks(body.bytes, Math.max(1, Math.ceil(body.bytes.byteLength / parts)));
    const chunkIndex = pick % chunks.length;
    return {
      v: 1, deltaId, nodeId, roundId, baseVersion, window: { fromEventSeq: 0, toEventSeq: samples }, samples, codec: body.codec,
      chunkIndex, chunkCount: chunks.length, totalBytes: body.bytes.byteLength, sha256: sha256Hex(body.bytes), data: chunks[chunkIndex],
    };
  });

const statusArb = (nodeId: string) =>
  fc.record(
    {
      v: fc.constant(1), nodeId: fc.constant(nodeId), region: fc.constantFrom('1', '2', 'eu-west'), state: fc.constantFrom('online', 'offline'),
      modelVersion: fc.nat({ max: 5 }), outboxSize: fc.nat(), eventsIngested: fc.nat(), learnerLagMs: fc.double({ min: 0, max: 1e6, noNaN: true }),
      quality: fc.dictionary(fc.stringMatching(/^[a-z_.]{1,12}$/), fc.double({ noNaN: true, noDefaultInfinity: true }), { maxKeys: 4 }),
      ts: fc.nat(), httpUrl: fc.constantFrom('http://10.0.0.5:8080', 'https://edge.example.com/api'),
    },
    { requiredKeys: ['v', 'nodeId', 'region', 'state', 'modelVersion', 'outboxSize', 'eventsIngested', 'learnerLagMs', 'quality', 'ts'] },
  );

const evalArb = (nodeId: string) =>
  fc.record({
    v: fc.constant(1), nodeId: fc.constant(nodeId), modelVersion: fc.constantFrom(1, 1, 2, 7), hr10: fc.double({ min: 0, max: 1, noNaN: true }),
    ndcg10: fc.double({ min: 0, max: 1, noNaN: true }), users: fc.nat({ max: 10_000 }), ts: fc.nat(),
  });

const SCHEMAS = { deltas: DeltaChunkMsg, status: NodeStatusMsg, eval: NodeEvalMsg } as const;
/** Payload arbitraries per (kind, claimed node id), built once: building them per case costs ~5 ms. */
const sendArb = fc.oneof(
  ...(['deltas', 'status', 'eval'] as const).flatMap((kind) =>
    NODE_IDS.map((id) => {
      const payload = kind === 'deltas'
        ? fc.oneof({ weight: 1, arbitrary: deltaChunkArb(id, false).map((m) => encode(m)) }, { weight: 3, arbitrary: payloadArb(deltaChunkArb(id, true)) })
        : payloadArb<unknown>(kind === 'status' ? statusArb(id) : evalArb(id));
      return { weight: kind === 'deltas' ? 3 : 1, arbitrary: payload.map((p) => ({ kind, claimed: id, payload: p })) };
    })),
);
/**
 * One publish: mostly a node under its own topic; 1 in 10 on another node's topic (forged id),
 * 1 in 10 on a topic whose id is off the alphabet. Time passes between messages, so stalled
 * chunk assemblies reach their TTL (2 min) now and then.
 */
const messageArb = fc
  .tuple(sendArb, fc.constantFrom(...NODE_IDS), fc.nat({ max: 9 }), fc.constantFrom(' ', 'a.b', 'ü'), fc.boolean(), fc.nat({ max: 5_000 }))
  .map(([{ kind, claimed, payload }, other, roll, junk, retain, elapseMs]) => {
    const topicId = roll === 0 ? `${claimed}${junk}` : roll === 1 ? other : claimed;
    return [kind, `edgerec/v1/nodes/${topicId}/${kind}`, payload, retain, elapseMs] as const;
  });

/** Whether a deltas payload is one complete, hash-correct, decodable delta that fits the model. */
function completeValidDelta(topic: string, payload: Uint8Array): string | null {
  const r = decode(DeltaChunkMsg, payload);
  const t = parseTopic(topic);
  if (!r.ok || t?.kind !== 'nodeDeltas' || r.value.nodeId !== t.nodeId || r.value.chunkCount !== 1) return null;
  const m = r.value;
  if (m.totalBytes !== m.data.byteLength || sha256Hex(m.data) !== m.sha256) return null;
  try {
    const d = decodeDelta(m.data);
    if (d.dim !== HARNESS_MODEL.dim) return null;
    validateDelta(d, { numItems: HARNESS_MODEL.numItems, adapterLength: ADAPTER_LENGTH });
  } catch {
    return null;
  }
  return m.deltaId;
}

const settle = async () => {
  await new Promise((resolve) => setImmediate(resolve));
  await h.central.idle();
  await new Promise((resolve) => setImmediate(resolve));
};
const rejectionsTotal = async () => (await h.central.metrics.deltaRejections.get()).values.reduce((s, v) => s + v.value, 0);
const warnsWithCode = (code: DecodeErrorCode, from: number) => h.logger.records.slice(from).some((r) => r.level === 'warn' && (r.obj as { code?: string }).code === code);

describe('central under random MQTT payloads (issue #9)', () => {
  it(`${FUZZ_RUNS} payloads on nodes/+/deltas|status|eval: no failure, every undecodable payload counted or logged, nothing invalid stored, still healthy`, async () => {
    const validDeltaIds = new Set<string>();
    const validSenders = new Set<string>(['edge-a']);
    const validEvals = new Set<string>();
    await fc.assert(
      fc.asyncProperty(messageArb, async ([kind, topic, payload, retain, elapseMs]) => {
        const logsBefore = h.logger.records.length;
        const rejectedBefore = kind === 'deltas' ? await rejectionsTotal() : 0;
        await fuzzer.publish(topic, payload, { retain: retain && kind === 'status' });
        await settle();
        must(failures.length === 0, () => failures.join('; '));
        const t = parseTopic(topic);
        const r = decode(SCHEMAS[kind] as typeof NodeEvalMsg, payload);
        if (t && payload.byteLength > 0 && !r.ok) {
          // a refusal is never silent: a typed warning with the decode error code, and for deltas a metric
          must(warnsWithCode(r.error.code, logsBefore), `${topic}: ${r.error.code} not logged`);
          if (kind === 'deltas') must((await rejectionsTotal()) === rejectedBefore + 1, `${topic}: ${r.error.code} not counted`);
        }
        if (r.ok && t && 'nodeId' in t && (r.value as { nodeId: string }).nodeId === t.nodeId) {
          if (kind === 'status') validSenders.add(t.nodeId);
          if (kind === 'eval') validEvals.add(`${t.nodeId}/${(r.value as NodeEvalMsg).modelVersion}`);
        }
        h.scheduler.advance(elapseMs);
        const id = kind === 'deltas' ? completeValidDelta(topic, payload) : null;
        if (id) {
          validDeltaIds.add(id);
          validSenders.add((t as { nodeId: string }).nodeId);
        }
      }),
      fuzzParameters(),
    );
    const db = h.central.store.db;
    // nothing invalid stored: counted deltas, registered nodes and evals all come from valid messages
    const counted = db.prepare<[], { delta_id: string }>("SELECT delta_id FROM received_deltas WHERE status IN ('counted', 'late')").all();
    for (const { delta_id } of counted) expect(validDeltaIds.has(delta_id), `counted delta ${delta_id} came from an invalid message`).toBe(true);
    for (const { node_id } of db.prepare<[], { node_id: string }>('SELECT node_id FROM nodes').all()) {
      expect(validSenders.has(node_id), `node ${node_id} registered without a valid status or delta`).toBe(true);
    }
    for (const e of db.prepare<[], { node_id: string; version: number }>('SELECT node_id, version FROM node_evals').all()) {
      expect(validEvals.has(`${e.node_id}/${e.version}`), `eval ${e.node_id}/${e.version}`).toBe(true);
    }
    expect(h.central.pendingDeltas().count).toBeLessThanOrEqual(64);

    // still healthy: a real edge's delta is counted (once the fuzz's stalled assemblies of its
    // topic expired, as the edge's re-send backoff would wait), and the round aggregates into a finite model
    h.scheduler.advance(121_000);
    const before = h.central.activeVersion();
    const ack = await edge.sendDelta(h.delta(1), { baseVersion: before }).then((s) => edge.waitAck(s.deltaId));
    expect(ack.status).toBe('accepted');
    await h.central.rounds.closeNow('fuzz-end');
    await settle();
    expect(failures).toEqual([]);
    const active = ActiveModel.weightsOf(h.central.store, h.central.activeVersion());
    for (const [name, a] of [['emb', active.itemEmb], ['bias', active.itemBias], ['adapter', active.adapter]] as const) {
      expect(a.every((x) => Number.isFinite(x)), `active model ${name} has non-finite values`).toBe(true);
    }
    expect(h.logger.records.filter((r) => r.level === 'error')).toEqual([]);
  }, FUZZ_TIMEOUT_MS);

  it('restarts cleanly with retained fuzz statuses on the broker', async () => {
    await h.restart();
    await settle();
    expect(failures).toEqual([]);
    const ack = await edge.sendDelta(h.delta(2), { baseVersion: h.central.activeVersion() }).then((s) => edge.waitAck(s.deltaId));
    expect(['accepted', 'rejected']).toContain(ack.status);
    expect(h.logger.records.filter((r) => r.level === 'error')).toEqual([]);
  }, 60_000);
});
