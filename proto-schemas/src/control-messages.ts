import { z } from 'zod';
import { NodeId, Region } from './ids.js';
import { DeltaCodec } from './node-messages.js';
import { versioned } from './protocol-version.js';
import { Count, EpochMs, ModelVersion, RoundId } from './scalars.js';

/** Central's round orchestration on `control/rounds` (DESIGN §4). */

/**
 * How central treats a round; edges read the parts that concern them (uplink codec,
 * top-k, FedProx μ) and ignore the rest.
 *
 * @example
 * RoundPolicy.parse({ maxStaleness: 2, late: 'weight', codec: 'topk-int8', topK: 8, proxMu: 0.01 });
 */
export const RoundPolicy = z.object({
  /** Rounds a delta's baseVersion may trail the round's before `late` applies. */
  maxStaleness: Count,
  /** A late delta is down-weighted (e.g. 1/(1+√s)) or dropped. */
  late: z.enum(['weight', 'drop']),
  /** Aggregation strategy name, informational for edges (e.g. 'fedavg', 'trimmed-mean'). */
  strategy: z.string().min(1).max(64).optional(),
  /** Uplink compression central asks for. */
  codec: DeltaCodec.optional(),
  /** Entries kept per row by top-k sparsification. */
  topK: z.int().min(1).optional(),
  /** FedProx proximal weight μ applied on the edge. */
  /** FedProx μ; bounded like the edge's --prox-mu: a huge μ overflowed the learner's gradients to NaN */
  proxMu: z.number().min(0).max(10).optional(),
  /** Edges with fewer new samples skip the round. */
  minSamples: Count.optional(),
});
export type RoundPolicy = z.infer<typeof RoundPolicy>;

const OpenRound = z.object({
  ...versioned,
  type: z.literal('open'),
  roundId: RoundId,
  baseVersion: ModelVersion,
  /** Epoch ms after which central closes the round with whatever arrived. */
  deadline: EpochMs,
  minNodes: z.int().min(1),
  policy: RoundPolicy,
});

const CloseRound = z.object({
  ...versioned,
  type: z.literal('close'),
  roundId: RoundId,
  reason: z.string().min(1).max(256),
});

const SyncNow = z.object({
  ...versioned,
  type: z.literal('sync-now'),
  /** Only these nodes; all when absent. */
  nodeIds: z.array(NodeId).optional(),
});

const targets = {
  ...versioned,
  /** Only these nodes / regions; everyone when both are absent. */
  nodeIds: z.array(NodeId).optional(),
  regions: z.array(Region).optional(),
};
const Pause = z.object({ ...targets, type: z.literal('pause') });
const Resume = z.object({ ...targets, type: z.literal('resume') });

/**
 * Round control message, a union discriminated by `type`.
 *
 * @example
 * RoundControlMsg.parse({ v: 1, type: 'close', roundId: 7, reason: 'deadline' });
 */
export const RoundControlMsg = z.discriminatedUnion('type', [OpenRound, CloseRound, SyncNow, Pause, Resume]);
export type RoundControlMsg = z.infer<typeof RoundControlMsg>;
export type RoundControlType = RoundControlMsg['type'];
