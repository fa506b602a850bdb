import { z } from 'zod';
import { DeltaCodec, RoundPolicy } from '@edgerec/proto-schemas';
import { StrategySpec } from '@edgerec/services/federation';

/**
 * Default ceiling on the samples one delta may claim. A delta carries everything its node
 * learned since its previous delta — after an outage, a pause or missed rounds that is many
 * round intervals, and a refused delta is deleted by the edge — so the ceiling is sized for a
 * backlog rather than one round: 1,000 events/s per node (10× the soak's per-edge load) for
 * 2.8 h, or a saturated learner (~35k events/s measured) for ~5 min. Raise it for busier edges.
 */
export const DEFAULT_MAX_SAMPLES = 10_000_000;

/**
 * Central's round policy (DESIGN §4). The subset edges need travels as the wire
 * `RoundPolicy` in every `open` message (see `wirePolicy`).
 *
 * @example
 * CentralRoundPolicy.parse({ minNodes: 3, deadlineMs: 60_000, strategy: { name: 'fedadam' } });
 * CentralRoundPolicy.parse({ minNodes: 2, bufferSize: 10 }); // async buffered (FedBuff-style)
 */
export const CentralRoundPolicy = z.object({
  /** distinct nodes a round needs before it may close */
  minNodes: z.int().min(1).max(100_000).default(2),
  /** a round closes at the latest this long after it opened */
  deadlineMs: z.int().min(1).max(7 * 24 * 3_600_000).default(60_000),
  /**
   * least time from one round's opening to the next one's (0: open the next at once). Under
   * steady load every round closes as soon as all online edges answered, so without pacing
   * rounds run back to back (2–3 a second with 3 busy edges), each one a new version shipped
   * to every edge.
   */
  minIntervalMs: z.int().min(0).max(7 * 24 * 3_600_000).default(0),
  /** versions a delta's base may trail the current model before `late` applies */
  maxStaleness: z.int().min(0).max(1_000_000).default(0),
  /** beyond maxStaleness: down-weight by 1/(1+√s) or drop */
  late: z.enum(['weight', 'drop']).default('weight'),
  strategy: StrategySpec.prefault({ name: 'fedavg', params: { serverLr: 1 } }),
  /**
   * Async buffered mode: aggregate as soon as this many deltas (from ≥ minNodes nodes)
   * are buffered, without waiting for every online node. Absent: synchronous rounds.
   */
  bufferSize: z.int().min(1).max(1_000_000).optional(),
  /** uplink compression central asks edges for */
  codec: DeltaCodec.optional(),
  topK: z.int().min(1).optional(),
  proxMu: RoundPolicy.shape.proxMu,
  minSamples: z.int().min(0).optional(),
  /**
   * most training samples one delta may claim; a delta above it is refused (`bad_counts`).
   * Bounds the row counts too: intake refuses counts above samples × rows per sample.
   */
  maxSamples: z.int().min(1).max(1e12).default(DEFAULT_MAX_SAMPLES),
});
export type CentralRoundPolicy = z.infer<typeof CentralRoundPolicy>;
export type CentralRoundPolicyInput = z.input<typeof CentralRoundPolicy>;

/**
 * The wire policy announced to edges with a round.
 *
 * @example
 * wirePolicy(CentralRoundPolicy.parse({})); // { maxStaleness: 0, late: 'weight', strategy: 'fedavg' }
 */
export function wirePolicy(p: CentralRoundPolicy): RoundPolicy {
  const out: RoundPolicy = { maxStaleness: p.maxStaleness, late: p.late, strategy: p.strategy.name };
  if (p.codec !== undefined) out.codec = p.codec;
  if (p.topK !== undefined) out.topK = p.topK;
  if (p.proxMu !== undefined) out.proxMu = p.proxMu;
  if (p.minSamples !== undefined) out.minSamples = p.minSamples;
  return out;
}
