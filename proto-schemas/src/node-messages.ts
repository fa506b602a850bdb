import { z } from 'zod';
import { NodeId, Region } from './ids.js';
import { MAX_CHUNK_BYTES, MAX_DELTA_CHUNKS } from './limits.js';
import { versioned } from './protocol-version.js';
import { bytesSchema, Count, EpochMs, Metrics, ModelVersion, RoundId, Sha256Hex } from './scalars.js';

/** Messages an edge node publishes about itself, and central's acks (DESIGN §3). */

/**
 * Retained status of an edge on `nodes/{nodeId}/status`; the broker publishes the
 * `offline` variant as the node's last will.
 *
 * @example
 * NodeStatusMsg.parse({ v: 1, nodeId: 'edge-1', region: '9', state: 'online', modelVersion: 3,
 *   outboxSize: 0, eventsIngested: 120, learnerLagMs: 4, quality: {}, ts: 1732363000000 });
 */
export const NodeStatusMsg = z.object({
  ...versioned,
  nodeId: NodeId,
  region: Region,
  state: z.enum(['online', 'offline']),
  modelVersion: ModelVersion,
  /** Deltas waiting for a central ack. */
  outboxSize: Count,
  eventsIngested: Count,
  /** How far online learning trails ingestion. */
  learnerLagMs: z.number().min(0),
  /** Data-quality and drift counters (e.g. rejected events, unknown items). */
  quality: Metrics,
  ts: EpochMs,
  /** Where the edge's HTTP API is reachable, so central can link to it. */
  httpUrl: z.url({ protocol: /^https?$/ }).optional(),
});
export type NodeStatusMsg = z.infer<typeof NodeStatusMsg>;

/** Uplink compression of a delta payload (DESIGN §3: per-row top-k + int8). */
export const DeltaCodec = z.enum(['none', 'int8', 'topk-int8']);
export type DeltaCodec = z.infer<typeof DeltaCodec>;

/** Which local events a delta covers: `[fromEventSeq, toEventSeq]` of the edge's event log. */
export const EventWindow = z
  .object({ fromEventSeq: Count, toEventSeq: Count })
  .refine((w) => w.fromEventSeq <= w.toEventSeq, { message: 'fromEventSeq must be <= toEventSeq', path: ['toEventSeq'] });
export type EventWindow = z.infer<typeof EventWindow>;

/**
 * One chunk of an uplink delta on `nodes/{nodeId}/deltas`. Every chunk repeats the
 * header so central can start reassembly from any chunk; `sha256` and `totalBytes`
 * describe the whole reassembled payload. Central dedupes on `deltaId`.
 *
 * @example
 * DeltaChunkMsg.parse({ v: 1, deltaId: crypto.randomUUID(), nodeId: 'edge-1', roundId: null,
 *   baseVersion: 3, window: { fromEventSeq: 0, toEventSeq: 99 }, samples: 100, codec: 'int8',
 *   chunkIndex: 0, chunkCount: 1, totalBytes: 2, sha256: '…64 hex…', data: new Uint8Array(2) });
 */
export const DeltaChunkMsg = z
  .object({
    ...versioned,
    deltaId: z.uuid(),
    nodeId: NodeId,
    /** Round the delta answers; `null` in async (round-less) mode. */
    roundId: RoundId.nullable(),
    baseVersion: ModelVersion,
    window: EventWindow,
    /** Training events folded into the delta (the FedAvg weight). */
    samples: Count,
    codec: DeltaCodec,
    chunkIndex: Count,
    chunkCount: z.int().min(1).max(MAX_DELTA_CHUNKS),
    totalBytes: Count,
    sha256: Sha256Hex,
    data: bytesSchema(MAX_CHUNK_BYTES),
  })
  .check((ctx) => {
    const m = ctx.value;
    if (m.chunkIndex >= m.chunkCount) {
      ctx.issues.push({ code: 'custom', input: m.chunkIndex, path: ['chunkIndex'], message: 'chunkIndex must be < chunkCount' });
    }
    if (m.data.byteLength > m.totalBytes || m.totalBytes > m.chunkCount * MAX_CHUNK_BYTES) {
      ctx.issues.push({ code: 'custom', input: m.totalBytes, path: ['totalBytes'], message: 'totalBytes does not fit chunkCount/data' });
    }
  });
export type DeltaChunkMsg = z.infer<typeof DeltaChunkMsg>;

/**
 * Central's verdict on a delta, on `nodes/{nodeId}/acks`. An edge deletes the delta
 * from its outbox on `accepted` or `duplicate` (both mean "counted once").
 *
 * @example
 * DeltaAckMsg.parse({ v: 1, deltaId, status: 'rejected', reason: 'stale base', roundId: 4, ts });
 */
export const DeltaAckMsg = z.object({
  ...versioned,
  deltaId: z.uuid(),
  status: z.enum(['accepted', 'duplicate', 'rejected']),
  reason: z.string().max(512).optional(),
  roundId: RoundId.nullable(),
  ts: EpochMs,
});
export type DeltaAckMsg = z.infer<typeof DeltaAckMsg>;

/**
 * Federated evaluation of `modelVersion` on an edge's local held-out data, on
 * `nodes/{nodeId}/eval`; central weights by `users` when merging.
 *
 * @example
 * NodeEvalMsg.parse({ v: 1, nodeId: 'edge-1', modelVersion: 4, hr10: 0.61, ndcg10: 0.35, users: 310, ts });
 */
export const NodeEvalMsg = z.object({
  ...versioned,
  nodeId: NodeId,
  modelVersion: ModelVersion,
  hr10: z.number().min(0).max(1),
  ndcg10: z.number().min(0).max(1),
  users: Count,
  ts: EpochMs,
});
export type NodeEvalMsg = z.infer<typeof NodeEvalMsg>;
