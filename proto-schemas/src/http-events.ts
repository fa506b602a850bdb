import { z } from 'zod';
import { EventId, ItemId, UserId } from './ids.js';
import { MAX_BATCH_EVENTS } from './limits.js';
import { Count, EpochMs } from './scalars.js';

/** Event ingest bodies of the edge HTTP API (`POST /v1/events`), shared with IoT ingest. */

/** Kinds of interaction an edge learns from. */
export const EventType = z.enum(['view', 'click', 'purchase', 'play', 'rating']).meta({ id: 'EventType' });
export type EventType = z.infer<typeof EventType>;

/** Fields of one event; spread into the MQTT `DeviceEventMsg` too. */
export const eventShape = {
  eventId: EventId,
  user: UserId,
  item: ItemId,
  type: EventType,
  /** Strength of the signal; the edge picks a default per type when absent. */
  weight: z.number().gt(0).max(100).optional(),
  /** Explicit rating (for `type: 'rating'`). */
  rating: z.number().min(0).max(10).optional(),
  /** Client time in epoch ms; the edge's clock when absent. */
  ts: EpochMs.optional(),
};

/**
 * One interaction event.
 *
 * @example
 * EventIn.parse({ eventId: 'k7:1', user: 'u1', item: 'm50', type: 'play' });
 */
export const EventIn = z.object(eventShape).meta({ id: 'EventIn' });
export type EventIn = z.infer<typeof EventIn>;

/** A batch envelope of 1..MAX_BATCH_EVENTS events. */
export const EventsEnvelope = z
  .object({ events: z.array(EventIn).min(1).max(MAX_BATCH_EVENTS) })
  .meta({ id: 'EventsEnvelope' });
export type EventsEnvelope = z.infer<typeof EventsEnvelope>;

/**
 * Body of `POST /v1/events`: a single event or an envelope. EventIn is tried first so a
 * broken single event reports its own field errors (see `formatIssues`).
 *
 * @example
 * eventsOf(EventsBatch.parse({ events: [e1, e2] })); // [e1, e2]
 */
export const EventsBatch = z.union([EventIn, EventsEnvelope]).meta({ id: 'EventsBatch' });
export type EventsBatch = z.infer<typeof EventsBatch>;

/**
 * The events of a parsed batch as one array, whichever form was sent.
 *
 * @example
 * eventsOf({ eventId: 'e1', user: 'u', item: 'i', type: 'view' }).length; // 1
 */
export function eventsOf(batch: EventsBatch): EventIn[] {
  return 'events' in batch ? batch.events : [batch];
}

/** Why one event of a batch was not stored. */
export const RejectedEvent = z.object({
  eventId: z.string(),
  code: z.string().min(1),
  message: z.string(),
});
export type RejectedEvent = z.infer<typeof RejectedEvent>;

/**
 * Response of `POST /v1/events`: stored, already-seen (same eventId) and refused events.
 *
 * @example
 * EventsAccepted.parse({ accepted: 2, duplicates: 1, rejected: [] });
 */
export const EventsAccepted = z
  .object({ accepted: Count, duplicates: Count, rejected: z.array(RejectedEvent) })
  .meta({ id: 'EventsAccepted' });
export type EventsAccepted = z.infer<typeof EventsAccepted>;
