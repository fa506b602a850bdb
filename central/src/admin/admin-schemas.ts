import { z } from 'zod';
import { DeltaCodec, NodeId, Region } from '@edgerec/proto-schemas';
import { StrategySpec } from '@edgerec/services/federation';
import { CentralRoundPolicy } from '../aggregator/round-policy.js';

/**
 * Request and response shapes of the admin API. Requests are parsed with these (strict:
 * unknown keys are a 400); responses are documented with them in /admin/openapi.json.
 */

const Reason = z.string().max(500).describe('free text, recorded in the audit log');

/** Body of actions that need nothing but may say why (all fields optional; an empty body is fine). */
export const ActionBody = z.strictObject({ reason: Reason.optional() }).meta({ id: 'ActionBody' });
export type ActionBody = z.infer<typeof ActionBody>;

export const NodeParams = z.object({ id: NodeId });
export const RegionParams = z.object({ region: Region });
export const VersionParams = z.object({ v: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) });

export const LimitQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100).describe('newest first, at most this many'),
});

/** POST /admin/rounds: ask edges to sync now (all, or only `nodeIds`). */
export const TriggerBody = z
  .strictObject({ reason: Reason.optional(), nodeIds: z.array(NodeId).min(1).max(10_000).optional() })
  .meta({ id: 'TriggerBody' });
export type TriggerBody = z.infer<typeof TriggerBody>;

/**
 * PUT /admin/policy: the fields to change; `null` clears an optional one. Applies to rounds
 * opened from now on; DP parameters live in `strategy.dp` ({clip, noiseMultiplier}).
 */
export const PolicyUpdate = z
  .strictObject({
    minNodes: z.int().min(1).max(100_000).optional(),
    deadlineMs: z.int().min(1_000).max(7 * 24 * 3_600_000).optional(),
    maxStaleness: z.int().min(0).max(1_000_000).optional(),
    late: z.enum(['weight', 'drop']).optional(),
    strategy: StrategySpec.optional(),
    bufferSize: z.int().min(1).max(1_000_000).nullable().optional(),
    codec: DeltaCodec.nullable().optional(),
    topK: z.int().min(1).max(65_536).nullable().optional(),
    proxMu: z.number().min(0).max(100).nullable().optional(),
    minSamples: z.int().min(0).max(1_000_000_000).nullable().optional(),
    maxSamples: CentralRoundPolicy.shape.maxSamples.unwrap().nullable().optional()
      .describe('most samples one delta may claim (default 10,000,000; null restores it); more is refused with bad_counts'),
    reason: Reason.optional(),
  })
  .refine((p) => Object.keys(p).some((k) => k !== 'reason'), 'name at least one policy field to change')
  .meta({ id: 'PolicyUpdate' });
export type PolicyUpdate = z.infer<typeof PolicyUpdate>;

/** POST /admin/models/:v/canary: explicit nodes or a fraction of the eligible online ones. */
export const CanaryBody = z
  .strictObject({
    nodeIds: z.array(NodeId).min(1).max(10_000).optional(),
    fraction: z.number().gt(0).lt(1).optional(),
    reason: Reason.optional(),
  })
  .refine((b) => (b.nodeIds === undefined) !== (b.fraction === undefined), 'give exactly one of nodeIds or fraction')
  .meta({ id: 'CanaryBody' });
export type CanaryBody = z.infer<typeof CanaryBody>;

// ---- responses (documentation) ----

export const NodeView = z
  .object({
    nodeId: z.string(),
    region: z.string().nullable(),
    online: z.boolean().describe('from the retained status; the broker publishes the offline last will'),
    lastSeen: z.number().nullable(),
    modelVersion: z.number().nullable(),
    outboxSize: z.number().nullable(),
    eventsIngested: z.number().nullable(),
    learnerLagMs: z.number().nullable(),
    quality: z.record(z.string(), z.number()).describe('data-quality counters the edge reports'),
    lastDeltaAt: z.number().nullable(),
    paused: z.boolean(),
    quarantined: z.boolean(),
    canary: z.boolean(),
  })
  .meta({ id: 'NodeView' });
export type NodeView = z.infer<typeof NodeView>;

export const NodesResponse = z.object({ nodes: z.array(NodeView), regions: z.record(z.string(), z.array(z.string())) });

export const RoundView = z
  .object({
    id: z.number(),
    state: z.string(),
    baseVersion: z.number(),
    candidateVersion: z.number().nullable(),
    openedAt: z.number(),
    closedAt: z.number().nullable(),
    deadline: z.number(),
    participants: z.number(),
    nodeIds: z.array(z.string()),
    samples: z.number(),
    deltas: z.number(),
    bytesUp: z.number(),
    aggregationMs: z.number().nullable(),
    strategy: z.string(),
    reason: z.string().nullable(),
  })
  .meta({ id: 'RoundView' });
export type RoundView = z.infer<typeof RoundView>;

export const SyncStatus = z
  .object({
    stopped: z.boolean(),
    activeVersion: z.number(),
    currentRound: z.number().nullable(),
    canary: z.object({ version: z.number(), nodeIds: z.array(z.string()) }).nullable(),
  })
  .meta({ id: 'SyncStatus' });

export const RoundsResponse = z.object({ rounds: z.array(RoundView), sync: SyncStatus });

export const ModelView = z
  .object({
    version: z.number(),
    parent: z.number().nullable(),
    lineage: z.array(z.number()).describe('ancestors, nearest first (at most 20)'),
    status: z.string(),
    active: z.boolean(),
    canary: z.boolean(),
    createdAt: z.number(),
    roundId: z.number().nullable(),
    reason: z.string().nullable(),
    metrics: z.record(z.string(), z.number()),
    sha256: z.string(),
    size: z.number(),
    patchSize: z.number().nullable(),
  })
  .meta({ id: 'ModelView' });
export type ModelView = z.infer<typeof ModelView>;

export const ModelsResponse = z.object({ activeVersion: z.number(), models: z.array(ModelView) });
export const PolicyResponse = z.object({ policy: z.record(z.string(), z.unknown()) });
export const AuditResponse = z.object({
  entries: z.array(z.object({
    id: z.number(), ts: z.number(), actor: z.string(), role: z.string(), action: z.string(),
    target: z.string().nullable(), details: z.record(z.string(), z.unknown()),
  })),
});

const Merged = z.object({ hr10: z.number(), ndcg10: z.number(), users: z.number(), nodes: z.number() }).nullable();
export const CanaryView = z
  .object({
    version: z.number(),
    sourceVersion: z.number(),
    baseVersion: z.number(),
    running: z.boolean(),
    nodeIds: z.array(z.string()),
    startedAt: z.number(),
    startedBy: z.string(),
    canary: Merged.describe('federated metrics of the canary version on the canary nodes'),
    rest: Merged.describe('federated metrics of the active version on every other node'),
    hr10Delta: z.number().nullable(),
    ndcg10Delta: z.number().nullable(),
  })
  .meta({ id: 'CanaryView' });
export type CanaryView = z.infer<typeof CanaryView>;

export const ActionResult = z.object({ ok: z.literal(true) }).catchall(z.unknown()).meta({ id: 'ActionResult' });
