import {
  ErrorBody, EventsAccepted, HealthBody, MAX_BATCH_EVENTS, MAX_BODY_BYTES, ModelInfo, RecommendationsResponse, UserHistory,
} from '@edgerec/proto-schemas';
import { cloneWeights } from '@edgerec/services/model';
import { afterEach, describe, expect, it } from 'vitest';
import type { EdgeCore } from './edge-core.js';
import { LearnerStatsBody } from './http-schemas.js';
import { createInMemoryEdge } from './in-memory-edge.js';

const cores: EdgeCore[] = [];
function edge(opts: Parameters<typeof createInMemoryEdge>[0] = {}) {
  const e = createInMemoryEdge({ numItems: 30, rateLimit: { perSecond: 1000, burst: 1000 }, ...opts });
  cores.push(e.core);
  return e;
}
afterEach(() => {
  for (const c of cores.splice(0)) c.close();
});

type App = ReturnType<typeof edge>['app'];
const post = (app: App, body: unknown, headers: Record<string, string> = {}) =>
  app.request('/v1/events', {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const ev = (eventId: string, user = 'u1', item = 'i1', type = 'click', extra: Record<string, unknown> = {}) =>
  ({ eventId, user, item, type, ...extra });
const counts = (core: EdgeCore) => ({
  events: core.edb.events.count(), users: core.edb.users.count(), keys: core.edb.idempotency.count(),
});
async function learned(app: App) {
  const res = await app.request('/v1/learner?waitFor=0&timeoutMs=5000');
  const maxSeq = LearnerStatsBody.parse(await res.json()).maxSeq;
  const body = LearnerStatsBody.parse(await (await app.request(`/v1/learner?waitFor=${maxSeq}&timeoutMs=5000`)).json());
  expect(body.caughtUp).toBe(true);
  return body;
}
async function errorOf(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  const body = ErrorBody.parse(await res.json());
  expect(body.error.code).toBe(code);
  return body.error.message;
}

describe('GET /v1/recommendations', () => {
  it('answers an unknown user with the popularity list and coldStart', async () => {
    const { app } = edge();
    await post(app, { events: [ev('a', 'x', 'i5'), ev('b', 'y', 'i5'), ev('c', 'y', 'i7')] });
    const res = await app.request('/v1/recommendations?user=nobody&k=3');
    expect(res.status).toBe(200);
    const body = RecommendationsResponse.parse(await res.json());
    expect(body).toMatchObject({ user: 'nobody', coldStart: true, modelVersion: 0 });
    expect(body.items.map((i) => i.item).slice(0, 2)).toEqual(['i5', 'i7']);
    expect(body.items.map((i) => i.rank)).toEqual([1, 2, 3]);
  });

  it('personalizes for a learned user and never returns items the user has seen', async () => {
    const { app } = edge();
    const seen = ['i1', 'i2', 'i3', 'i4'];
    await post(app, { events: seen.map((item, n) => ev(`e${n}`, 'u1', item, 'play')) });
    await learned(app);
    const body = RecommendationsResponse.parse(await (await app.request('/v1/recommendations?user=u1&k=26')).json());
    expect(body.coldStart).toBe(false);
    expect(body.items).toHaveLength(26);
    expect(body.items.some((i) => seen.includes(i.item))).toBe(false);
    expect([...body.items].sort((a, b) => b.score - a.score).map((i) => i.item)).toEqual(body.items.map((i) => i.item));
  });

  it('explains items with a history item that raises their score', async () => {
    const { app, core } = edge();
    const w = cloneWeights(core.holder.model.weights);
    w.adapter[w.adapter.length - 1] = 1; // history gate α = 1: the history term counts fully
    core.holder.swap(w, 1);
    await post(app, { events: ['i1', 'i2'].map((item, n) => ev(`e${n}`, 'u1', item)) });
    await learned(app);
    const body = RecommendationsResponse.parse(await (await app.request('/v1/recommendations?user=u1&k=10&explain=1')).json());
    expect(body.modelVersion).toBe(1);
    const explained = body.items.filter((i) => i.because);
    expect(explained.length).toBeGreaterThan(0);
    for (const i of explained) {
      expect(['i1', 'i2']).toContain(i.because!.item);
      expect(i.because!.contribution).toBeGreaterThan(0);
    }
    const plain = RecommendationsResponse.parse(await (await app.request('/v1/recommendations?user=u1&k=10')).json());
    expect(plain.items.some((i) => i.because)).toBe(false);
  });

  it('with explore=1 fills every slot from the unseen popular pool, without repeats', async () => {
    const { app } = edge();
    await post(app, { events: [ev('a', 'u1', 'i1'), ev('b', 'u2', 'i2'), ev('c', 'u2', 'i3')] });
    await learned(app);
    const body = RecommendationsResponse.parse(await (await app.request('/v1/recommendations?user=u1&k=8&explore=1')).json());
    expect(body.items.every((i) => i.explore)).toBe(true);
    expect(new Set(body.items.map((i) => i.item)).size).toBe(body.items.length);
    expect(body.items.some((i) => i.item === 'i1')).toBe(false);
    const none = RecommendationsResponse.parse(await (await app.request('/v1/recommendations?user=u1&k=8&explore=0')).json());
    expect(none.items.some((i) => i.explore)).toBe(false);
  });

  it('returns fewer than k items when the user has seen nearly everything', async () => {
    const { app } = edge({ numItems: 5 });
    await post(app, { events: ['i0', 'i1', 'i2'].map((item, n) => ev(`e${n}`, 'u1', item)) });
    const body = RecommendationsResponse.parse(await (await app.request('/v1/recommendations?user=u1&k=10')).json());
    expect(body.items.map((i) => i.item).sort()).toEqual(['i3', 'i4']);
  });

  it('refuses bad queries with 400 invalid_query', async () => {
    const { app } = edge();
    for (const q of ['', 'user=u1&k=0', 'user=u1&k=abc', 'user=u1&k=101', 'user=u1&explore=2', 'user=u1&explain=yes', `user=${'x'.repeat(129)}`]) {
      await errorOf(await app.request(`/v1/recommendations?${q}`), 400, 'invalid_query');
    }
  });
});

describe('POST /v1/events', () => {
  it('accepts a single event and counts a re-sent eventId as duplicate', async () => {
    const { app, core } = edge();
    const first = await post(app, ev('e1'));
    expect(first.status).toBe(202);
    expect(EventsAccepted.parse(await first.json())).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    expect(await (await post(app, { events: [ev('e1'), ev('e2'), ev('e2')] })).json()).toEqual({ accepted: 1, duplicates: 2, rejected: [] });
    expect(core.edb.events.count()).toBe(2);
    const stats = await learned(app);
    expect(stats).toMatchObject({ appliedCount: 2, appliedSeqSum: 3 });
  });

  it('lists unknown items in rejected and stores the rest', async () => {
    const { app, core } = edge();
    const res = await post(app, { events: [ev('e1', 'u1', 'i1'), ev('e2', 'u1', 'nope')] });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({
      accepted: 1, duplicates: 0, rejected: [{ eventId: 'e2', code: 'unknown_item', message: 'item "nope" is not in the catalog' }],
    });
    expect(core.edb.events.has('e2')).toBe(false);
  });

  it('refuses a request whose every event is unknown with 422 and changes nothing', async () => {
    const { app, core } = edge();
    const before = counts(core);
    await errorOf(await post(app, { events: [ev('e1', 'u1', 'nope'), ev('e2', 'u1', 'nada')] }, { 'idempotency-key': 'k1' }), 422, 'unknown_item');
    expect(counts(core)).toEqual(before);
  });

  it('rate-limits a user beyond the burst and answers 429 when nothing got through', async () => {
    let now = 1_000_000;
    const { app, core } = edge({ rateLimit: { perSecond: 2, burst: 3 }, clock: () => now });
    const res = await post(app, { events: [1, 2, 3, 4, 5].map((n) => ev(`e${n}`)) });
    const body = EventsAccepted.parse(await res.json());
    expect(body.accepted).toBe(3);
    expect(body.rejected.map((r) => [r.eventId, r.code])).toEqual([['e4', 'rate_limited'], ['e5', 'rate_limited']]);
    expect((await post(app, ev('other', 'u2'))).status).toBe(202);
    const before = counts(core);
    const limited = await post(app, ev('e6'));
    await errorOf(limited, 429, 'rate_limited');
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(counts(core)).toEqual(before);
    now += 1000; // two tokens back
    expect(EventsAccepted.parse(await (await post(app, { events: [ev('e6'), ev('e7'), ev('e8')] })).json()).accepted).toBe(2);
    const metrics = await (await app.request('/metrics')).text();
    expect(metrics).toMatch(/edgerec_events_rejected_total\{reason="rate_limited"\} 4/);
  });

  it('applies default weights per type and scales ratings', async () => {
    const { app } = edge();
    await post(app, {
      events: [
        ev('v', 'u1', 'i1', 'view'), ev('c', 'u1', 'i2', 'click'), ev('p', 'u1', 'i3', 'play'), ev('b', 'u1', 'i4', 'purchase'),
        ev('r', 'u1', 'i5', 'rating', { rating: 5 }), ev('r0', 'u1', 'i6', 'rating', { rating: 0 }), ev('w', 'u1', 'i7', 'view', { weight: 7 }),
      ],
    });
    const history = UserHistory.parse(await (await app.request('/v1/users/u1/history')).json());
    expect(history.events.map((e) => [e.eventId, e.weight])).toEqual([
      ['v', 0.25], ['c', 0.5], ['p', 1], ['b', 2], ['r', 2], ['r0', 0.1], ['w', 7],
    ]);
  });

  it('replays the first response for a repeated Idempotency-Key and refuses it with another body', async () => {
    const { app, core } = edge();
    const body = { events: [ev('e1'), ev('e2')] };
    const first = await post(app, body, { 'idempotency-key': 'req-1' });
    expect(await first.json()).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    const again = await post(app, body, { 'idempotency-key': 'req-1' });
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    const before = counts(core);
    await errorOf(await post(app, { events: [ev('e3')] }, { 'idempotency-key': 'req-1' }), 409, 'idempotency_conflict');
    await errorOf(await post(app, ev('e4'), { 'idempotency-key': 'has space' }), 400, 'invalid_header');
    expect(counts(core)).toEqual(before);
  });

  it('maps malformed JSON to 400, schema failures to 422 and oversized bodies to 413, changing nothing', async () => {
    const { app, core } = edge();
    const before = counts(core);
    await errorOf(await post(app, '{"events": ['), 400, 'bad_json');
    await errorOf(await post(app, ''), 400, 'bad_json');
    expect(await errorOf(await post(app, { ...ev('e1'), weight: -1 }), 422, 'invalid_body')).toMatch(/^weight: /);
    await errorOf(await post(app, { events: [] }), 422, 'invalid_body');
    await errorOf(await post(app, [ev('e1')]), 422, 'invalid_body');
    const tooMany = { events: Array.from({ length: MAX_BATCH_EVENTS + 1 }, (_, n) => ev(`e${n}`)) };
    await errorOf(await post(app, tooMany), 422, 'invalid_body');
    const huge = JSON.stringify({ ...ev('e1'), pad: 'x'.repeat(MAX_BODY_BYTES) });
    await errorOf(await post(app, huge), 413, 'body_too_large');
    expect(counts(core)).toEqual(before);
  });
});

describe('users', () => {
  it('returns a user\'s history oldest first, and an empty one for an unknown user', async () => {
    const { app } = edge();
    await post(app, { events: [ev('a', 'u1', 'i1', 'view', { ts: 5 }), ev('b', 'u2', 'i2'), ev('c', 'u1', 'i3', 'play', { ts: 9 })] });
    const body = UserHistory.parse(await (await app.request('/v1/users/u1/history')).json());
    expect(body.events).toEqual([
      { eventId: 'a', item: 'i1', type: 'view', weight: 0.25, ts: 5 },
      { eventId: 'c', item: 'i3', type: 'play', weight: 1, ts: 9 },
    ]);
    expect(await (await app.request('/v1/users/ghost/history')).json()).toEqual({ user: 'ghost', events: [] });
    await errorOf(await app.request(`/v1/users/${'x'.repeat(129)}/history`), 400, 'invalid_param');
  });

  it('erases events, private vector and replay slots, idempotently', async () => {
    const { app, core } = edge();
    await post(app, { events: [ev('a', 'u1', 'i1'), ev('b', 'u1', 'i2'), ev('c', 'u2', 'i2')] });
    await learned(app);
    core.learner.checkpoint();
    expect(core.edb.users.get('u1')).toBeDefined();
    const res = await app.request('/v1/users/u1', { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(core.edb.users.get('u1')).toBeUndefined();
    expect(core.learner.userState('u1')).toBeUndefined();
    expect(core.edb.replay.all().some((e) => e.user === 'u1')).toBe(false);
    expect(core.edb.events.count()).toBe(1);
    expect(core.popularity.count(1)).toBe(0);
    expect((await app.request('/v1/users/u1', { method: 'DELETE' })).status).toBe(204);
    expect(await (await app.request('/v1/users/u1/history')).json()).toEqual({ user: 'u1', events: [] });
    const recs = RecommendationsResponse.parse(await (await app.request('/v1/recommendations?user=u1')).json());
    expect(recs.coldStart).toBe(true);
    core.learner.checkpoint();
    expect(core.edb.users.get('u1')).toBeUndefined();
  });
});

describe('model, learner and operations', () => {
  it('describes the served model', async () => {
    const { app } = edge();
    expect(ModelInfo.parse(await (await app.request('/v1/model')).json())).toEqual({
      version: 0, parent: null, backend: 'typed-arrays', lastSyncAt: null, numItems: 30, dim: 8,
    });
  });

  it('waits for the learner on request and reports progress', async () => {
    const { app } = edge();
    await post(app, { events: [ev('a'), ev('b')] });
    const stats = LearnerStatsBody.parse(await (await app.request('/v1/learner?waitFor=2&timeoutMs=5000')).json());
    expect(stats).toMatchObject({ appliedSeq: 2, maxSeq: 2, lagEvents: 0, appliedCount: 2, caughtUp: true });
    const late = LearnerStatsBody.parse(await (await app.request('/v1/learner?waitFor=99&timeoutMs=10')).json());
    expect(late.caughtUp).toBe(false);
    await errorOf(await app.request('/v1/learner?timeoutMs=-1'), 400, 'invalid_query');
  });

  it('is healthy and ready while open, and not ready after close', async () => {
    const { app, core } = edge();
    expect(HealthBody.parse(await (await app.request('/healthz')).json())).toMatchObject({ status: 'ok', service: 'edge', nodeId: 'edge-test' });
    expect((await app.request('/readyz')).status).toBe(200);
    core.close();
    await errorOf(await app.request('/readyz'), 503, 'not_ready');
    await errorOf(await post(app, ev('e1')), 503, 'not_ready');
    expect((await app.request('/healthz')).status).toBe(200);
  });

  it('exposes Prometheus metrics for requests, ingest, learner, outbox and model version', async () => {
    const { app } = edge();
    await post(app, { events: [ev('a'), ev('a'), ev('b', 'u1', 'zz')] });
    await app.request('/nope');
    await learned(app);
    const res = await app.request('/metrics');
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/edgerec_http_request_duration_seconds_count\{method="POST",route="\/v1\/events",status="202"\} 1/);
    expect(text).toMatch(/edgerec_http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\} 1/);
    expect(text).toMatch(/edgerec_events_ingested_total 1/);
    expect(text).toMatch(/edgerec_events_duplicates_total 1/);
    expect(text).toMatch(/edgerec_events_rejected_total\{reason="unknown_item"\} 1/);
    expect(text).toMatch(/edgerec_learner_lag_seconds_count 1/);
    expect(text).toMatch(/edgerec_learner_lag_events 0/);
    expect(text).toMatch(/edgerec_outbox_entries 0/);
    expect(text).toMatch(/edgerec_model_version 0/);
  });

  it('serves an OpenAPI document covering every route, and a self-contained docs page', async () => {
    const { app } = edge();
    const doc = (await (await app.request('/openapi.json')).json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/docs', '/healthz', '/metrics', '/openapi.json', '/readyz', '/v1/events', '/v1/learner', '/v1/model',
      '/v1/recommendations', '/v1/users/{id}', '/v1/users/{id}/history',
    ]);
    expect(Object.keys(doc.paths['/v1/events'])).toEqual(['post']);
    const html = await (await app.request('/docs')).text();
    expect(html).toContain("fetch('/openapi.json')");
    expect(html).not.toMatch(/(src|href)="https?:/);
  });

  it('answers unknown routes and methods with 404 JSON', async () => {
    const { app } = edge();
    await errorOf(await app.request('/v2/anything'), 404, 'not_found');
    await errorOf(await app.request('/v1/events', { method: 'PUT' }), 404, 'not_found');
  });

  it('turns an unexpected failure into a 500 without leaking details', async () => {
    const { app, core } = edge();
    core.recommender.recommend = () => {
      throw new Error('secret internals at /srv/edge.ts:42');
    };
    const res = await app.request('/v1/recommendations?user=u1');
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: 'internal', message: 'internal error' } });
  });
});
