import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  EventsAccepted, EventsBatch, EventType, HealthBody, MAX_BATCH_EVENTS, MAX_BODY_BYTES, ModelInfo, RecommendationsQuery,
  RecommendationsResponse, UserHistory,
} from '@edgerec/proto-schemas';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EDGE_ROUTES } from './edge-openapi.js';
import { startEdgeNode, type EdgeNode } from './edge-node.js';
import {
  contentTypeArb, encodeURIComponentSafe, FUZZ_RUNS, FUZZ_TIMEOUT_MS, fuzzParameters, headerValueArb, jsonBodyArb, must, pathSegmentArb,
  queryStringArb, queryValueArb, unclearResponse,
} from './fuzz-arbitraries.js';
import { LearnerStatsBody } from './http-schemas.js';

/**
 * Issue #9 input fuzzing of the edge HTTP API: FUZZ_RUNS random requests over every route of
 * a real edge node (SQLite file, learner running), driven in process with `app.request`.
 * Properties: never a 5xx; every refusal a JSON {error:{code,message}}; the status the body's
 * validity calls for (oracle: the same zod schemas); a refused request leaves SQLite as it was.
 */

const NUM_ITEMS = 30;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;
let node: EdgeNode;
let dir: string;
const errors: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'edge-fuzz-'));
  const logger = pino({ level: 'error' }, { write: (line: string) => void errors.push(line) });
  node = await startEdgeNode({
    id: 'edge-fuzz', region: 'r1', port: 0, dbPath: join(dir, 'edge.db'), numItems: NUM_ITEMS, dim: 8, seed: 5,
    durability: 'process', logger, rateLimit: { perSecond: 200, burst: 400 },
  });
});
afterAll(async () => {
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Case {
  route: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** whether the input passes the route's schema, where the generator knows */
  valid?: boolean;
}

const sameState = (a: ReturnType<typeof stored>, b: ReturnType<typeof stored>) => a.events === b.events && a.maxSeq === b.maxSeq && a.keys === b.keys;
const stored = () => ({ events: node.core.edb.events.count(), maxSeq: node.core.edb.events.maxSeq(), keys: node.core.edb.idempotency.count() });

// ---- valid inputs, the seeds of the mutations ----
const eventIdArb = fc.oneof(fc.stringMatching(/^[A-Za-z0-9._:-]{1,20}$/), fc.constantFrom('e1', 'e2', 'e3', 'k:1', 'a'.repeat(128)));
const validEventArb = fc.record(
  {
    eventId: eventIdArb,
    user: fc.constantFrom('u1', 'u2', 'u3', 'ü', '😀 user', 'x'.repeat(128)),
    item: fc.oneof({ weight: 6, arbitrary: fc.nat({ max: NUM_ITEMS - 1 }).map((i) => `i${i}`) }, { weight: 1, arbitrary: fc.constantFrom('nope', `i${NUM_ITEMS}`) }),
    type: fc.constantFrom(...EventType.options),
    weight: fc.double({ min: Number.MIN_VALUE, max: 100, noNaN: true }),
    rating: fc.double({ min: 0, max: 10, noNaN: true }),
    ts: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  },
  { requiredKeys: ['eventId', 'user', 'item', 'type'] },
);
const fullBatch = (n: number, tag: number) => ({
  events: Array.from({ length: n }, (_, j) => ({ eventId: `b${tag}-${j}`, user: `u${j % 7}`, item: `i${j % NUM_ITEMS}`, type: 'view' })),
});
const validBatchArb = fc.oneof(
  { weight: 10, arbitrary: validEventArb },
  { weight: 10, arbitrary: fc.record({ events: fc.array(validEventArb, { minLength: 1, maxLength: 5 }) }) },
  // few tags: a full batch stores its 1000 events once, later ones are duplicates (keeps the table and the learner small)
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(MAX_BATCH_EVENTS, MAX_BATCH_EVENTS + 1), fc.nat({ max: 2 })).map(([n, tag]) => fullBatch(n, tag)) },
);

// ---- request arbitraries per route ----
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
const withQuery = (path: string, q: string) => (q === '' ? path : `${path}?${q}`);
const userIdArb = fc.oneof(fc.constantFrom('u1', 'u2', 'ü', 'x'.repeat(128), 'x'.repeat(129)), pathSegmentArb);
// First occurrence wins in Hono's c.req.query(): a leading timeoutMs keeps every long-poll ≤ 1 ms.
const shortTimeout = fc.constantFrom('0', '1', '-0', '00', '0.0', '', 'NaN', '-1', '30001', '1.5', 'abc', '1e309', '%zz', 'Infinity');

const routes: Record<string, fc.Arbitrary<Case>> = {
  'get /v1/recommendations': fc.oneof(
    queryStringArb(['user', 'k', 'explain', 'explore']).map((q) => ({ path: withQuery('/v1/recommendations', q) })),
    // Every value percent-encoded, so the parsed query is exactly these strings and the schema is the oracle.
    fc.record(
      {
        user: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('u1', 'u2', 'nobody', 'ü') }, { weight: 1, arbitrary: queryValueArb }),
        k: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 100 }).map(String) }, { weight: 1, arbitrary: queryValueArb }),
        explain: fc.constantFrom('0', '1', 'true', 'false', 'yes', ''),
        explore: fc.oneof({ weight: 3, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }).map(String) }, { weight: 1, arbitrary: queryValueArb }),
      },
      { requiredKeys: ['user'] },
    ).map((q) => ({
      path: withQuery('/v1/recommendations', Object.entries(q).map(([k, v]) => `${k}=${encodeURIComponentSafe(v)}`).join('&')),
      valid: RecommendationsQuery.safeParse(Object.fromEntries(Object.entries(q).map(([k, v]) => [k, v.replace(/\p{Cs}/gu, '\ufffd')]))).success,
    })),
  ).map((c) => ({ route: 'get /v1/recommendations', method: 'GET', ...c })),
  'post /v1/events': fc
    .tuple(
      fc.oneof(
        { weight: 15, arbitrary: validBatchArb.map((b) => JSON.stringify(b)) },
        { weight: 30, arbitrary: jsonBodyArb(validBatchArb) },
        { weight: 1, arbitrary: fc.constant(`{"events":[],"pad":"${'p'.repeat(MAX_BODY_BYTES)}"}`) },
      ),
      fc.option(fc.oneof(fc.constantFrom('key-1', 'key-2', 'key-3'), fc.stringMatching(/^[\x21-\x7e]{1,128}$/), headerValueArb), { freq: 4 }),
      contentTypeArb,
    )
    .map(([body, key, type]) => {
      const headers: Record<string, string> = {};
      if (key !== null) headers['idempotency-key'] = key;
      if (type !== null) headers['content-type'] = type;
      return { route: 'post /v1/events', method: 'POST', path: '/v1/events', headers, body };
    }),
  'get /v1/users/:id/history': userIdArb.map((id) => ({ route: 'get /v1/users/:id/history', method: 'GET', path: `/v1/users/${id}/history` })),
  'delete /v1/users/:id': userIdArb.map((id) => ({ route: 'delete /v1/users/:id', method: 'DELETE', path: `/v1/users/${id}` })),
  'get /v1/learner': fc
    .tuple(shortTimeout, queryStringArb(['waitFor', 'timeoutMs']))
    .map(([t, q]) => ({ route: 'get /v1/learner', method: 'GET', path: `/v1/learner?timeoutMs=${t}${q ? `&${q}` : ''}` })),
  'post /admin/sync': contentTypeArb.map((type): Case => ({
    route: 'post /admin/sync', method: 'POST', path: '/admin/sync', headers: type === null ? {} : { 'content-type': type }, body: '{}',
  })),
};
for (const path of ['/v1/model', '/healthz', '/readyz', '/metrics', '/openapi.json', '/docs']) {
  routes[`get ${path}`] = queryStringArb(['user', 'k', 'format']).map((q) => ({ route: `get ${path}`, method: 'GET', path: withQuery(path, q) }));
}
const knownPaths = ['/v1/recommendations', '/v1/events', '/v1/users/u1', '/v1/users/u1/history', '/v1/model', '/v1/learner', '/healthz', '/readyz', '/metrics', '/openapi.json', '/docs', '/admin/sync'];
const otherArb: fc.Arbitrary<Case> = fc
  .tuple(
    fc.constantFrom(...METHODS),
    fc.oneof(fc.constantFrom(...knownPaths), fc.array(pathSegmentArb, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`), fc.constantFrom('/v1', '/v1/', '/v1/users', '/v1/users//history', '//', '/v1/events/')),
    fc.option(fc.string({ maxLength: 40 })),
  )
  .map(([method, path, body]) => ({ route: 'other', method, path, ...(body !== null && method !== 'GET' && method !== 'HEAD' ? { body } : {}) }));

const requestArb = fc.oneof(
  { weight: 12, arbitrary: routes['post /v1/events'] },
  { weight: 6, arbitrary: routes['get /v1/recommendations'] },
  { weight: 3, arbitrary: routes['get /v1/users/:id/history'] },
  { weight: 2, arbitrary: routes['delete /v1/users/:id'] },
  { weight: 3, arbitrary: routes['get /v1/learner'] },
  ...Object.entries(routes).filter(([k]) => /^get \/(v1\/model|healthz|readyz|metrics|openapi|docs)/.test(k)).map(([, arbitrary]) => ({ weight: 1, arbitrary })),
  { weight: 1, arbitrary: routes['post /admin/sync'] },
  { weight: 6, arbitrary: otherArb },
);

/** The status a POST /v1/events body calls for, from the same schemas the route uses; null = any 2xx/409/422/429. */
function expectedIngest(c: Case): { status: number; code: string } | null {
  if (Buffer.byteLength(c.body ?? '') > MAX_BODY_BYTES) return { status: 413, code: 'body_too_large' };
  let json: unknown;
  try {
    // the body is read as UTF-8 text, which drops a leading byte-order mark
    json = JSON.parse((c.body ?? '').replace(/^\ufeff/, ''));
  } catch {
    return { status: 400, code: 'bad_json' };
  }
  if (!EventsBatch.safeParse(json).success) return { status: 422, code: 'invalid_body' };
  const key = new Headers(c.headers).get('idempotency-key');
  if (key !== null && !IDEMPOTENCY_KEY.test(key)) return { status: 400, code: 'invalid_header' };
  return null;
}

/** Statuses a route may answer whatever the input (the path is fixed, the rest is noise). */
const ALLOWED: Record<string, number[]> = {
  'get /v1/recommendations': [200, 400], 'get /v1/learner': [200, 400], 'post /admin/sync': [409],
  // a raw id with '/', '?', '#' or '..' reshapes the path: 404
  'get /v1/users/:id/history': [200, 400, 404], 'delete /v1/users/:id': [204, 400, 404],
  'get /v1/model': [200], 'get /healthz': [200], 'get /readyz': [200], 'get /metrics': [200], 'get /openapi.json': [200], 'get /docs': [200],
};

const SUCCESS_BODY: Record<string, { safeParse(v: unknown): { success: boolean } }> = {
  'get /v1/recommendations': RecommendationsResponse, 'get /v1/users/:id/history': UserHistory, 'get /v1/model': ModelInfo,
  'get /v1/learner': LearnerStatsBody, 'get /healthz': HealthBody, 'get /readyz': HealthBody,
};

async function send(c: Case): Promise<Response> {
  return node.app.request(c.path, { method: c.method, headers: c.headers, ...(c.body !== undefined ? { body: c.body } : {}) });
}

describe('edge HTTP API under random input (issue #9)', () => {
  it('the fuzz table covers every documented edge route', () => {
    for (const r of EDGE_ROUTES) expect(Object.keys(routes), `${r.method} ${r.path}`).toContain(`${r.method} ${r.path}`);
  });

  it(`${FUZZ_RUNS} random requests over every route: no 5xx, clear 4xx, the status the input calls for, refusals change nothing`, async () => {
    const hits = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(requestArb, async (c) => {
        hits.set(c.route, (hits.get(c.route) ?? 0) + 1);
        const before = stored();
        const res = await send(c);
        const what = () => `${c.method} ${c.path.slice(0, 200)} ${c.body?.slice(0, 200) ?? ''} → ${res.status}`;
        const problem = await unclearResponse(res.clone(), c.method);
        must(problem === null, () => `${what()}: ${problem}`);
        const after = stored();
        if (res.status >= 400) must(sameState(after, before), () => `${what()}: a refused request changed SQLite ${JSON.stringify({ before, after })}`);
        if (c.route === 'post /v1/events') {
          const want = expectedIngest(c);
          const text = await res.text();
          if (want) {
            const code = (JSON.parse(text) as { error: { code: string } }).error.code;
            must(res.status === want.status && code === want.code, () => `${what()}: ${code}, expected ${JSON.stringify(want)}`);
          } else {
            must([202, 409, 422, 429].includes(res.status), what);
            if (res.status === 202) must(EventsAccepted.safeParse(JSON.parse(text)).success, () => `${what()}: response off its schema`);
            if (res.status === 202 && res.headers.get('idempotent-replayed') !== 'true') {
              const accepted = (JSON.parse(text) as EventsAccepted).accepted;
              must(after.events - before.events === accepted, () => `${what()}: ${accepted} accepted, ${after.events - before.events} stored`);
            }
          }
        } else if (c.route !== 'other') {
          must(ALLOWED[c.route].includes(res.status), what);
          if (c.valid !== undefined) must(res.status === (c.valid ? 200 : 400), () => `${what()}: the schema says valid=${c.valid}`);
          if (res.status === 200 && SUCCESS_BODY[c.route]) {
            must(SUCCESS_BODY[c.route].safeParse(await res.json()).success, () => `${what()}: response off its schema`);
          }
        }
      }),
      fuzzParameters(),
    );
    for (const route of Object.keys(routes)) expect(hits.get(route) ?? 0, route).toBeGreaterThan(0);
    expect(errors, 'unhandled errors were logged').toEqual([]);
  }, FUZZ_TIMEOUT_MS);

  it(`${FUZZ_RUNS} requests that fail validation change nothing stored`, async () => {
    const invalid: fc.Arbitrary<Case> = fc.oneof(
      routes['post /v1/events'].filter((c) => expectedIngest(c) !== null),
      routes['get /v1/recommendations'].filter((c) => c.valid === false),
      fc.constantFrom('x'.repeat(129), '').map((id): Case => ({ route: 'delete', method: 'DELETE', path: `/v1/users/${id}` })),
    );
    const before = stored();
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(invalid, async (c) => {
        const res = await send(c);
        must(res.status >= 400 && res.status < 500, () => `${c.method} ${c.path.slice(0, 100)} ${c.body?.slice(0, 100)} → ${res.status}`);
        refused++;
      }),
      fuzzParameters(),
    );
    expect(refused).toBeGreaterThanOrEqual(FUZZ_RUNS);
    expect(stored()).toEqual(before);
  }, FUZZ_TIMEOUT_MS);
});
