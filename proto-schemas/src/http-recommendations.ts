import { z } from 'zod';
import { EventId, ItemId, UserId } from './ids.js';
import { EventType } from './http-events.js';
import { EpochMs, ModelVersion } from './scalars.js';

/** Recommendation and history bodies of the edge HTTP API. */

/** `true` for '1'/'true', `false` for '0'/'false'; anything else is refused. */
const QueryFlag = z
  .enum(['0', '1', 'true', 'false'])
  .transform((s) => s === '1' || s === 'true')
  .prefault('0');

/**
 * Query of `GET /v1/recommendations`. Query values arrive as strings; numbers are
 * coerced and range-checked, so `k=abc`, `k=0` and `k=101` are refused.
 *
 * @example
 * RecommendationsQuery.parse({ user: 'u1', k: '5', explain: '1' });
 * // { user: 'u1', k: 5, explain: true, explore: 0 }
 */
export const RecommendationsQuery = z.object({
  user: UserId.describe('User to recommend for'),
  k: z.coerce.number().int().min(1).max(100).default(10).describe('Number of items'),
  explain: QueryFlag.describe('Attach a "because you interacted with X" explanation to each item'),
  explore: z.coerce.number().min(0).max(1).default(0).describe('Exploration rate: share of slots given to uncertain items'),
});
export type RecommendationsQuery = z.infer<typeof RecommendationsQuery>;

/** "Because you interacted with X": the history item contributing most to the score. */
export const Because = z.object({ item: ItemId, contribution: z.number() });
export type Because = z.infer<typeof Because>;

/**
 * One recommended item, `rank` 1-based.
 *
 * @example
 * RecommendationItem.parse({ item: 'm50', score: 3.2, rank: 1, explore: false });
 */
export const RecommendationItem = z
  .object({
    item: ItemId,
    score: z.number(),
    rank: z.int().min(1),
    /** Chosen by exploration rather than by score. */
    explore: z.boolean(),
    because: Because.optional(),
  })
  .meta({ id: 'RecommendationItem' });
export type RecommendationItem = z.infer<typeof RecommendationItem>;

/**
 * Response of `GET /v1/recommendations`. `coldStart` is true when the user had no
 * history and the list comes from the popularity/content fallback.
 *
 * @example
 * RecommendationsResponse.parse({ user: 'u1', modelVersion: 4, items: [], coldStart: true, tookMs: 0.4 });
 */
export const RecommendationsResponse = z
  .object({
    user: UserId,
    modelVersion: ModelVersion,
    items: z.array(RecommendationItem).max(100),
    coldStart: z.boolean(),
    tookMs: z.number().min(0),
  })
  .meta({ id: 'RecommendationsResponse' });
export type RecommendationsResponse = z.infer<typeof RecommendationsResponse>;

/** One stored event of a user, with the weight the edge actually applied. */
export const HistoryEvent = z.object({
  eventId: EventId,
  item: ItemId,
  type: EventType,
  weight: z.number(),
  ts: EpochMs,
});
export type HistoryEvent = z.infer<typeof HistoryEvent>;

/**
 * Response of `GET /v1/users/{user}/history`, newest last.
 *
 * @example
 * UserHistory.parse({ user: 'u1', events: [{ eventId: 'e1', item: 'm1', type: 'view', weight: 1, ts: 0 }] });
 */
export const UserHistory = z.object({ user: UserId, events: z.array(HistoryEvent) }).meta({ id: 'UserHistory' });
export type UserHistory = z.infer<typeof UserHistory>;
