import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EdgeCore } from './edge-core.js';
import { createInMemoryEdge } from './in-memory-edge.js';

/**
 * Random requests against every route: nothing may produce a 5xx, and a refused request
 * (status ≥ 400) must leave the database exactly as it was.
 */

let core: EdgeCore;
let app: ReturnType<typeof createInMemoryEdge>['app'];
beforeAll(() => {
  ({ core, app } = createInMemoryEdge({ numItems: 20, rateLimit: { perSecond: 5, burst: 10 } }));
});
afterAll(() => core.close());

const RUNS = 300;
const dbState = () => {
  const { db } = core.edb;
  const n = (table: string) => db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
  return { events: n('events'), users: n('users'), keys: n('idempotency_keys'), maxSeq: core.edb.events.maxSeq() };
};

/** Printable ASCII and a few troublemakers, as they may appear in URLs and headers. */
const urlish = fc.string({ unit: fc.constantFrom(...'aZ09-_.~%&=+?#/ :;,\'"<>[]{}|\\^`!$()*@é€😀'.split(/(?:)/u)), maxLength: 40 });
const headerValue = fc.stringMatching(/^[\x21-\x7e]{0,140}$/);

const scalar = fc.oneof(
  fc.string({ maxLength: 12 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null),
  fc.constantFrom('u1', 'i1', 'i19', 'i20', 'view', 'click', 'purchase', 'play', 'rating', 'e1', 'has space', ''),
);
const eventish = fc.record(
  {
    eventId: fc.oneof(fc.stringMatching(/^[a-z0-9:.-]{1,10}$/), scalar),
    user: fc.oneof(fc.constantFrom('u1', 'u2', 'u3'), scalar),
    item: fc.oneof(fc.constantFrom('i0', 'i7', 'i19', 'i20', 'nope'), scalar),
    type: fc.oneof(fc.constantFrom('view', 'click', 'purchase', 'play', 'rating', 'like'), scalar),
    weight: fc.oneof(fc.double({ min: -5, max: 200 }), scalar),
    rating: fc.oneof(fc.double({ min: -1, max: 11 }), scalar),
    ts: fc.oneof(fc.integer({ min: -10, max: 2 ** 53 }), scalar),
    extra: scalar,
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  eventish.map((e) => JSON.stringify(e)),
  fc.array(eventish, { maxLength: 6 }).map((events) => JSON.stringify({ events })),
  fc.json(),
  fc.string({ maxLength: 60 }),
  fc.anything().map((v) => JSON.stringify(v) ?? 'undefined'),
);

describe('random requests never produce a 5xx and refusals change nothing', () => {
  it('GET /v1/recommendations with random query strings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.oneof(fc.constantFrom('user', 'k', 'explain', 'explore'), urlish), fc.oneof(urlish, fc.integer().map(String))), { maxLength: 5 }),
        async (pairs) => {
          const qs = pairs.map(([k, v]) => `${k}=${v}`).join('&');
          const res = await app.request(`/v1/recommendations?${qs}`);
          expect(res.status === 200 || res.status === 400).toBe(true);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('POST /v1/events with random bodies and headers', async () => {
    await fc.assert(
      fc.asyncProperty(body, fc.option(headerValue), fc.option(fc.constantFrom('application/json', 'text/plain', '')), async (raw, key, type) => {
        const before = dbState();
        const headers: Record<string, string> = {};
        if (key !== null) headers['idempotency-key'] = key;
        if (type !== null) headers['content-type'] = type;
        const res = await app.request('/v1/events', { method: 'POST', body: raw, headers });
        expect(res.status).toBeLessThan(500);
        const after = dbState();
        if (res.status >= 400) expect(after).toEqual(before);
        else {
          expect(res.status).toBe(202);
          const out = (await res.json()) as { accepted: number };
          if (res.headers.get('idempotent-replayed') !== 'true') expect(after.events - before.events).toBe(out.accepted);
          else expect(after).toEqual(before);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('user routes with random ids', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(urlish, fc.string({ minLength: 120, maxLength: 140 })), fc.constantFrom('GET', 'DELETE'), async (id, method) => {
        const path = method === 'GET' ? `/v1/users/${encodeURIComponent(id)}/history` : `/v1/users/${encodeURIComponent(id)}`;
        const res = await app.request(path, { method });
        expect(res.status).toBeLessThan(500);
        expect([200, 204, 400, 404]).toContain(res.status);
      }),
      { numRuns: RUNS },
    );
  });

  it('random methods and paths', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'),
        fc.oneof(fc.constantFrom('/v1/model', '/v1/learner', '/healthz', '/readyz', '/openapi.json', '/docs', '/v1/events'), urlish.map((s) => `/${s}`)),
        fc.option(fc.string({ maxLength: 30 })),
        async (method, path, payload) => {
          const before = dbState();
          const init: RequestInit = { method };
          if (payload !== null && method !== 'GET' && method !== 'HEAD') init.body = payload;
          const res = await app.request(path, init);
          expect(res.status).toBeLessThan(500);
          if (res.status >= 400) expect(dbState()).toEqual(before);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
