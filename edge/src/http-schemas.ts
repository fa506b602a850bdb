import { Count, UserId } from '@edgerec/proto-schemas';
import { z } from 'zod';

/**
 * Edge-only HTTP schemas that proto-schemas does not (yet) define. Everything shared with
 * other services (events, recommendations, model info, health, errors) comes from
 * `@edgerec/proto-schemas`.
 */

/** Path parameters of `/v1/users/{id}/…`. */
export const UserParams = z.object({ id: UserId.describe('User id') });
export type UserParams = z.infer<typeof UserParams>;

/**
 * Query of `GET /v1/learner`: optionally wait (long-poll) until the learner has applied
 * every event up to `waitFor` — read-your-writes for clients and tests.
 *
 * @example
 * LearnerQuery.parse({ waitFor: '120', timeoutMs: '2000' }); // { waitFor: 120, timeoutMs: 2000 }
 */
export const LearnerQuery = z.object({
  waitFor: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional().describe('Wait until this event seq is applied'),
  timeoutMs: z.coerce.number().int().min(0).max(30_000).default(5000).describe('Longest wait in ms'),
});
export type LearnerQuery = z.infer<typeof LearnerQuery>;

/**
 * Response of `GET /v1/learner`: progress of online learning. `appliedCount` and
 * `appliedSeqSum` (Σ seq of learned events) let a test check exactly-once application
 * against the event log.
 *
 * @example
 * LearnerStatsBody.parse({ appliedSeq: 10, maxSeq: 12, lagEvents: 2, appliedCount: 10, appliedSeqSum: 55,
 *   checkpointSeq: 8, startedFromSeq: 0, replayed: 1, cachedUsers: 3, dirtyUsers: 1, replaySize: 10, caughtUp: false });
 */
export const LearnerStatsBody = z
  .object({
    appliedSeq: Count,
    maxSeq: Count,
    lagEvents: Count,
    appliedCount: Count,
    appliedSeqSum: Count,
    checkpointSeq: Count,
    startedFromSeq: Count,
    replayed: Count,
    cachedUsers: Count,
    dirtyUsers: Count,
    replaySize: Count,
    /** true when `waitFor` (or, without it, the whole log) is applied */
    caughtUp: z.boolean(),
  })
  .meta({ id: 'LearnerStats' });
export type LearnerStatsBody = z.infer<typeof LearnerStatsBody>;
