import fc from 'fast-check';
import type { z } from 'zod';
import { RoundControlMsg, type RoundPolicy } from './control-messages.js';
import { DeviceEventMsg, DeviceRecsRequestMsg, DeviceRecsResponseMsg } from './device-messages.js';
import type { EventIn } from './http-events.js';
import type { RecommendationItem } from './http-recommendations.js';
import { MAX_CHUNK_BYTES, MAX_DELTA_CHUNKS, MAX_MODEL_CHUNKS } from './limits.js';
import { ModelChunkMsg, ModelManifestMsg } from './model-messages.js';
import { DeltaAckMsg, DeltaChunkMsg, NodeEvalMsg, NodeStatusMsg } from './node-messages.js';

/**
 * fast-check arbitraries producing valid wire messages, for property tests here and
 * in other workspaces (import from this file directly; it is not part of the index,
 * so the runtime package does not depend on fast-check).
 */

export const topicIdArb = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
export const eventIdArb = fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/);
/** Opaque ids with arbitrary well-formed unicode, at most 128 UTF-16 units. */
export const opaqueIdArb = fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }).filter((s) => s.length <= 128);
const countArb = fc.maxSafeNat();
const epochMsArb = fc.integer({ min: 0, max: 4_102_444_800_000 });
// msgpack has no negative zero for integers; -0 and 0 mean the same on the wire.
const finiteArb = fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (x === 0 ? 0 : x));
const unitArb = fc.double({ min: 0, max: 1, noNaN: true }).map((x) => (x === 0 ? 0 : x));
const hexArb = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b).toString('hex'));
const sha256Arb = hexArb(32);
const signatureArb = fc.uint8Array({ minLength: 64, maxLength: 64 }).map((b) => Buffer.from(b).toString('base64'));
const metricNameArb = fc.stringMatching(/^[A-Za-z0-9_.@:-]{1,64}$/).filter((k) => k !== '__proto__');
const metricsArb = fc.dictionary(metricNameArb, finiteArb, { maxKeys: 6, noNullPrototype: true });
const bytesArb = fc.uint8Array({ maxLength: 2048 });
const versionArb = fc.nat({ max: 1_000_000 });
const requestIdArb = fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/);

export const nodeStatusArb: fc.Arbitrary<NodeStatusMsg> = fc.record(
  {
    v: fc.constant(1 as const),
    nodeId: topicIdArb,
    region: topicIdArb,
    state: fc.constantFrom('online' as const, 'offline' as const),
    modelVersion: versionArb,
    outboxSize: countArb,
    eventsIngested: countArb,
    learnerLagMs: fc.double({ min: 0, max: 1e9, noNaN: true }).map((x) => (x === 0 ? 0 : x)),
    quality: metricsArb,
    ts: epochMsArb,
    httpUrl: fc.constantFrom('http://10.0.0.5:8080', 'https://edge-1.example.com/api'),
  },
  { requiredKeys: ['v', 'nodeId', 'region', 'state', 'modelVersion', 'outboxSize', 'eventsIngested', 'learnerLagMs', 'quality', 'ts'] },
);

const chunkingArb = fc
  .tuple(fc.integer({ min: 1, max: MAX_DELTA_CHUNKS }), bytesArb)
  .chain(([chunkCount, data]) =>
    fc.record({
      chunkCount: fc.constant(chunkCount),
      chunkIndex: fc.integer({ min: 0, max: chunkCount - 1 }),
      totalBytes: fc.integer({ min: data.byteLength, max: chunkCount * MAX_CHUNK_BYTES }),
      data: fc.constant(data),
    }),
  );

export const deltaChunkArb: fc.Arbitrary<DeltaChunkMsg> = fc
  .tuple(
    fc.record({
      v: fc.constant(1 as const),
      deltaId: fc.uuid(),
      nodeId: topicIdArb,
      roundId: fc.option(versionArb, { nil: null }),
      baseVersion: versionArb,
      window: fc.tuple(countArb, countArb).map(([a, b]) => ({ fromEventSeq: Math.min(a, b), toEventSeq: Math.max(a, b) })),
      samples: countArb,
      codec: fc.constantFrom('none' as const, 'int8' as const, 'topk-int8' as const),
      sha256: sha256Arb,
    }),
    chunkingArb,
  )
  .map(([header, chunking]) => ({ ...header, ...chunking }));

export const deltaAckArb: fc.Arbitrary<DeltaAckMsg> = fc.record(
  {
    v: fc.constant(1 as const),
    deltaId: fc.uuid(),
    status: fc.constantFrom('accepted' as const, 'duplicate' as const, 'rejected' as const),
    reason: fc.string({ maxLength: 100, unit: 'grapheme' }).filter((s) => s.length <= 512),
    roundId: fc.option(versionArb, { nil: null }),
    ts: epochMsArb,
  },
  { requiredKeys: ['v', 'deltaId', 'status', 'roundId', 'ts'] },
);

export const modelManifestArb: fc.Arbitrary<ModelManifestMsg> = fc.record(
  {
    v: fc.constant(1 as const),
    version: versionArb,
    parent: fc.option(versionArb, { nil: null }),
    createdAt: epochMsArb,
    sha256: sha256Arb,
    size: countArb,
    codec: fc.constantFrom('int8-snapshot' as const, 'f32-snapshot' as const),
    patch: fc.record({ fromVersion: versionArb, sha256: sha256Arb, size: countArb }),
    chunkCount: fc.integer({ min: 1, max: MAX_MODEL_CHUNKS }),
    chunkSize: fc.integer({ min: 1, max: MAX_CHUNK_BYTES }),
    numItems: countArb,
    dim: fc.integer({ min: 1, max: 4096 }),
    metrics: metricsArb,
    signature: signatureArb,
    keyId: fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/),
  },
  { requiredKeys: ['v', 'version', 'parent', 'createdAt', 'sha256', 'size', 'codec', 'chunkCount', 'chunkSize', 'numItems', 'dim', 'metrics', 'signature', 'keyId'] },
);

export const modelChunkArb: fc.Arbitrary<ModelChunkMsg> = fc
  .integer({ min: 1, max: MAX_MODEL_CHUNKS })
  .chain((count) =>
    fc.record({
      v: fc.constant(1 as const),
      version: versionArb,
      index: fc.integer({ min: 0, max: count - 1 }),
      count: fc.constant(count),
      data: bytesArb,
      kind: fc.constantFrom('snapshot' as const, 'patch' as const),
    }),
  );

const policyArb: fc.Arbitrary<RoundPolicy> = fc.record(
  {
    maxStaleness: fc.nat({ max: 100 }),
    late: fc.constantFrom('weight' as const, 'drop' as const),
    strategy: fc.constantFrom('fedavg', 'fedadam', 'trimmed-mean'),
    codec: fc.constantFrom('none' as const, 'int8' as const, 'topk-int8' as const),
    topK: fc.integer({ min: 1, max: 512 }),
    proxMu: fc.double({ min: 0, max: 10, noNaN: true }).map((x) => (x === 0 ? 0 : x)),
    minSamples: fc.nat(),
  },
  { requiredKeys: ['maxStaleness', 'late'] },
);
const targetsArb = { nodeIds: fc.array(topicIdArb, { maxLength: 5 }), regions: fc.array(topicIdArb, { maxLength: 5 }) };

export const roundControlArb: fc.Arbitrary<RoundControlMsg> = fc.oneof(
  fc.record({
    v: fc.constant(1 as const),
    type: fc.constant('open' as const),
    roundId: versionArb,
    baseVersion: versionArb,
    deadline: epochMsArb,
    minNodes: fc.integer({ min: 1, max: 1000 }),
    policy: policyArb,
  }),
  fc.record({ v: fc.constant(1 as const), type: fc.constant('close' as const), roundId: versionArb, reason: fc.constantFrom('deadline', 'quorum', 'admin') }),
  fc.record({ v: fc.constant(1 as const), type: fc.constant('sync-now' as const), nodeIds: targetsArb.nodeIds }, { requiredKeys: ['v', 'type'] }),
  fc.record({ v: fc.constant(1 as const), type: fc.constantFrom('pause' as const, 'resume' as const), ...targetsArb }, { requiredKeys: ['v', 'type'] }),
);

export const nodeEvalArb: fc.Arbitrary<NodeEvalMsg> = fc.record({
  v: fc.constant(1 as const),
  nodeId: topicIdArb,
  modelVersion: versionArb,
  hr10: unitArb,
  ndcg10: unitArb,
  users: countArb,
  ts: epochMsArb,
});

/** Valid HTTP `EventIn` bodies. */
export const eventInArb: fc.Arbitrary<EventIn> = fc.record(
  {
    eventId: eventIdArb,
    user: opaqueIdArb,
    item: opaqueIdArb,
    type: fc.constantFrom('view' as const, 'click' as const, 'purchase' as const, 'play' as const, 'rating' as const),
    weight: fc.double({ min: Number.MIN_VALUE, max: 100, noNaN: true }),
    rating: fc.double({ min: 0, max: 10, noNaN: true }).map((x) => (x === 0 ? 0 : x)),
    ts: epochMsArb,
  },
  { requiredKeys: ['eventId', 'user', 'item', 'type'] },
);

export const deviceEventArb: fc.Arbitrary<DeviceEventMsg> = eventInArb.map((e) => ({ v: 1 as const, ...e }));

export const deviceRecsRequestArb: fc.Arbitrary<DeviceRecsRequestMsg> = fc.record(
  { v: fc.constant(1 as const), user: opaqueIdArb, k: fc.integer({ min: 1, max: 100 }), requestId: requestIdArb },
  { requiredKeys: ['v', 'user', 'k'] },
);

export const recommendationItemArb: fc.Arbitrary<RecommendationItem> = fc.record(
  {
    item: opaqueIdArb,
    score: finiteArb,
    rank: fc.integer({ min: 1, max: 100 }),
    explore: fc.boolean(),
    because: fc.record({ item: opaqueIdArb, contribution: finiteArb }),
  },
  { requiredKeys: ['item', 'score', 'rank', 'explore'] },
);

export const deviceRecsResponseArb: fc.Arbitrary<DeviceRecsResponseMsg> = fc.record(
  {
    v: fc.constant(1 as const),
    requestId: requestIdArb,
    user: opaqueIdArb,
    modelVersion: versionArb,
    items: fc.array(recommendationItemArb, { maxLength: 10 }),
    coldStart: fc.boolean(),
  },
  { requiredKeys: ['v', 'user', 'modelVersion', 'items', 'coldStart'] },
);

/** Every MQTT message schema paired with an arbitrary of valid instances. */
export interface MessageCase {
  name: string;
  schema: z.ZodType;
  arb: fc.Arbitrary<Record<string, unknown>>;
}

export const messageCases: readonly MessageCase[] = [
  { name: 'NodeStatusMsg', schema: NodeStatusMsg, arb: nodeStatusArb },
  { name: 'DeltaChunkMsg', schema: DeltaChunkMsg, arb: deltaChunkArb },
  { name: 'DeltaAckMsg', schema: DeltaAckMsg, arb: deltaAckArb },
  { name: 'ModelManifestMsg', schema: ModelManifestMsg, arb: modelManifestArb },
  { name: 'ModelChunkMsg', schema: ModelChunkMsg, arb: modelChunkArb },
  { name: 'RoundControlMsg', schema: RoundControlMsg, arb: roundControlArb },
  { name: 'NodeEvalMsg', schema: NodeEvalMsg, arb: nodeEvalArb },
  { name: 'DeviceEventMsg', schema: DeviceEventMsg, arb: deviceEventArb },
  { name: 'DeviceRecsRequestMsg', schema: DeviceRecsRequestMsg, arb: deviceRecsRequestArb },
  { name: 'DeviceRecsResponseMsg', schema: DeviceRecsResponseMsg, arb: deviceRecsResponseArb },
];
