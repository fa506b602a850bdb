import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from './domain-error.js';
import { EventIn, EventsAccepted, EventsBatch, eventsOf } from './http-events.js';
import { RecommendationsQuery, RecommendationsResponse, UserHistory } from './http-recommendations.js';
import { ErrorBody, HealthBody, ModelInfo } from './http-status-bodies.js';
import { formatIssues } from './issue-format.js';
import { MAX_BATCH_EVENTS } from './limits.js';
import { eventInArb } from './message-arbitraries.js';

const event = { eventId: 'kiosk-7:000123', user: 'u1', item: 'm50', type: 'play' } as const;

function issuesOf(schema: { safeParse(v: unknown): { success: boolean; error?: unknown } }, value: unknown): string {
  const r = schema.safeParse(value);
  if (r.success) throw new Error('expected a parse failure');
  return formatIssues(r.error as Parameters<typeof formatIssues>[0]);
}

describe('EventIn', () => {
  it('accepts every generated valid event', () => {
    fc.assert(
      fc.property(eventInArb, (e) => {
        expect(EventIn.parse(e)).toEqual(e);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a non-positive, oversized or non-numeric weight', () => {
    fc.assert(
      fc.property(eventInArb, fc.oneof(fc.double({ max: 0 }), fc.double({ min: 100.0001 }), fc.constant('1')), (e, weight) => {
        expect(EventIn.safeParse({ ...e, weight }).success).toBe(false);
      }),
    );
  });

  it('refuses bad ids, unknown types, ratings outside 0..10 and negative timestamps', () => {
    for (const bad of [
      { ...event, eventId: 'has space' },
      { ...event, eventId: 'x'.repeat(129) },
      { ...event, eventId: '' },
      { ...event, user: '' },
      { ...event, item: 'i'.repeat(129) },
      { ...event, type: 'like' },
      { ...event, rating: 11 },
      { ...event, rating: -1 },
      { ...event, ts: -5 },
      { ...event, ts: 1.5 },
      { eventId: 'e1', user: 'u1', type: 'view' },
    ]) {
      expect(EventIn.safeParse(bad).success).toBe(false);
    }
  });
});

describe('EventsBatch', () => {
  it('accepts a single event or an envelope and yields the events either way', () => {
    expect(eventsOf(EventsBatch.parse(event))).toEqual([event]);
    const batch = { events: [event, { ...event, eventId: 'e2', weight: 2 }] };
    expect(eventsOf(EventsBatch.parse(batch))).toEqual(batch.events);
  });

  it(`refuses an empty envelope and one with more than ${MAX_BATCH_EVENTS} events`, () => {
    expect(EventsBatch.safeParse({ events: [] }).success).toBe(false);
    const full = Array.from({ length: MAX_BATCH_EVENTS }, (_, i) => ({ ...event, eventId: `e${i}` }));
    expect(EventsBatch.safeParse({ events: full }).success).toBe(true);
    const over = { events: [...full, { ...event, eventId: 'one-more' }] };
    expect(issuesOf(EventsBatch, over)).toMatch(/^events: Too big/);
  });

  it('reports the field errors of the form that was sent, not the union failure', () => {
    expect(issuesOf(EventsBatch, { ...event, weight: -1 })).toMatch(/^weight: Too small/);
    expect(issuesOf(EventsBatch, { events: [event, { ...event, weight: -1 }] })).toMatch(/^events\.1\.weight: Too small/);
  });
});

describe('RecommendationsQuery', () => {
  it('fills defaults for k, explain and explore', () => {
    expect(RecommendationsQuery.parse({ user: 'u1' })).toEqual({ user: 'u1', k: 10, explain: false, explore: 0 });
  });

  it('coerces query strings', () => {
    expect(RecommendationsQuery.parse({ user: 'u1', k: '25', explain: 'true', explore: '0.2' })).toEqual({
      user: 'u1', k: 25, explain: true, explore: 0.2,
    });
    expect(RecommendationsQuery.parse({ user: 'u1', explain: '1' }).explain).toBe(true);
    expect(RecommendationsQuery.parse({ user: 'u1', explain: 'false' }).explain).toBe(false);
    expect(RecommendationsQuery.parse({ user: 'u1', explain: '0' }).explain).toBe(false);
  });

  it('refuses bad k, explain, explore and a missing user', () => {
    for (const k of ['0', '101', 'abc', '5.5', '', '-3']) {
      expect(RecommendationsQuery.safeParse({ user: 'u1', k }).success).toBe(false);
    }
    for (const explain of ['yes', 'TRUE ', '2']) {
      expect(RecommendationsQuery.safeParse({ user: 'u1', explain }).success).toBe(false);
    }
    for (const explore of ['-0.1', '1.5', 'x']) {
      expect(RecommendationsQuery.safeParse({ user: 'u1', explore }).success).toBe(false);
    }
    expect(RecommendationsQuery.safeParse({ k: '5' }).success).toBe(false);
  });
});

describe('response bodies', () => {
  it('accept well-formed examples', () => {
    expect(
      RecommendationsResponse.safeParse({
        user: 'u1', modelVersion: 4, coldStart: false, tookMs: 0.7,
        items: [{ item: 'm50', score: 3.2, rank: 1, explore: false, because: { item: 'm1', contribution: 1.1 } }],
      }).success,
    ).toBe(true);
    expect(UserHistory.safeParse({ user: 'u1', events: [{ eventId: 'e1', item: 'm1', type: 'view', weight: 1, ts: 5 }] }).success).toBe(true);
    expect(EventsAccepted.safeParse({ accepted: 2, duplicates: 0, rejected: [{ eventId: 'e3', code: 'unknown_item', message: 'm9' }] }).success).toBe(true);
    expect(ModelInfo.safeParse({ version: 4, parent: null, backend: 'typed-arrays', lastSyncAt: null, numItems: 10, dim: 8 }).success).toBe(true);
    expect(HealthBody.safeParse({ status: 'ok', service: 'edge', nodeId: 'edge-1', modelVersion: null, uptimeMs: 12 }).success).toBe(true);
  });

  it('refuse malformed examples', () => {
    expect(RecommendationsResponse.safeParse({ user: 'u1', modelVersion: 4, coldStart: false, tookMs: 1, items: [{ item: 'm', score: 1, rank: 0, explore: false }] }).success).toBe(false);
    expect(EventsAccepted.safeParse({ accepted: -1, duplicates: 0, rejected: [] }).success).toBe(false);
    expect(ModelInfo.safeParse({ version: 4, parent: null, backend: '', lastSyncAt: null, numItems: 10, dim: 8 }).success).toBe(false);
    expect(HealthBody.safeParse({ status: 'fine', service: 'edge', modelVersion: null, uptimeMs: 1 }).success).toBe(false);
    expect(ErrorBody.safeParse({ error: { code: '', message: 'x' } }).success).toBe(false);
  });

  it('ErrorBody matches what DomainError serializes to', () => {
    const body = JSON.parse(JSON.stringify(new DomainError('unknown_item', 404, 'item "m42" is not in the catalog')));
    expect(ErrorBody.parse(body)).toEqual({ error: { code: 'unknown_item', message: 'item "m42" is not in the catalog' } });
  });
});
