import type { EventIn, EventType } from '@edgerec/proto-schemas';

/**
 * Default signal strength per event type: a purchase says more than a play, a play more
 * than a click, a click more than a view. Applied when the event carries no `weight`.
 */
export const DEFAULT_EVENT_WEIGHTS: Readonly<Record<EventType, number>> = {
  view: 0.25,
  click: 0.5,
  play: 1,
  purchase: 2,
  rating: 1,
};

/**
 * Weight of a rating: linear in the rating (2.5 → 1, 5 → 2, 10 → 4), floored at 0.1
 * because the learner takes implicit (positive-only) feedback and a weight must stay > 0.
 */
export const ratingWeight = (rating: number): number => Math.min(4, Math.max(0.1, rating / 2.5));

/**
 * The weight the edge learns an event with: the client's explicit `weight`, else the rating
 * scaled for `rating` events, else the type's default.
 *
 * @example
 * eventWeight({ eventId: 'e', user: 'u', item: 'i', type: 'rating', rating: 5 }); // 2
 */
export function eventWeight(e: Pick<EventIn, 'type' | 'weight' | 'rating'>): number {
  if (e.weight !== undefined) return e.weight;
  if (e.type === 'rating' && e.rating !== undefined) return ratingWeight(e.rating);
  return DEFAULT_EVENT_WEIGHTS[e.type];
}
