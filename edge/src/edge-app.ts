import {
  DomainError, eventsOf, EventsBatch, formatIssues, MAX_BODY_BYTES, RecommendationsQuery,
  type EventType, type HealthBody, type ModelInfo, type UserHistory,
} from '@edgerec/proto-schemas';
import { Hono, type Context } from 'hono';
import { routePath } from 'hono/route';
import type { z } from 'zod';
import { DOCS_HTML } from './docs-page.js';
import type { EdgeCore } from './edge-core.js';
import { edgeOpenApi } from './edge-openapi.js';
import { LearnerQuery, type LearnerStatsBody, UserParams } from './http-schemas.js';
import { BODY_TOO_LARGE, readBodyText, requestHeader } from './node-request.js';
import { noopSyncClient } from './sync-client.js';
import { errorBody, useJsonErrors } from '@edgerec/services/common';

/** Printable ASCII without spaces, like the IETF draft's examples; bounded so it cannot bloat the key table. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;


function parseWith<S extends z.ZodType>(schema: S, value: unknown, code: string, status: number): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new DomainError(code, status, formatIssues(r.error));
  return r.data;
}

/** Route label for metrics: the registered pattern, never the raw path (bounded cardinality). */
function routeLabel(c: Context): string {
  const p = routePath(c, -1);
  return p === '' || p === '/*' || p === '*' ? 'unmatched' : p;
}

/**
 * The edge HTTP API as a Hono app over an {@link EdgeCore}. Every failure is a JSON
 * `{error:{code,message}}`: DomainError → its status; malformed JSON → 400 `bad_json`;
 * schema failures → 422 `invalid_body` / 400 `invalid_query` / 400 `invalid_param`;
 * body over MAX_BODY_BYTES → 413; unknown route → 404; anything else → 500 without details.
 * Refused requests never write to the database.
 *
 * @example
 * const app = createEdgeApp(createEdgeCore({ edb: openEdgeDatabase(':memory:'), nodeId: 'e1', region: 'r', seed: 1 }));
 * const res = await app.request('/v1/recommendations?user=u1&k=5');
 */
export function createEdgeApp(core: EdgeCore): Hono {
  const app = new Hono();
  const openApi = edgeOpenApi();
  const { metrics, learner, holder, edb } = core;

  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    metrics.httpDuration.observe(
      { method: c.req.method, route: routeLabel(c), status: String(c.res.status) },
      (performance.now() - started) / 1000,
    );
  });
  app.use('/v1/*', async (c, next) => {
    if (!core.ready) throw new DomainError('not_ready', 503, 'edge node is shutting down');
    await next();
  });

  useJsonErrors(app, (err, c) => core.logger.error({ err, method: c.req.method, path: c.req.path }, 'unhandled error'));

  app.get('/v1/recommendations', (c) => {
    const q = parseWith(RecommendationsQuery, c.req.query(), 'invalid_query', 400);
    return c.json(core.recommender.recommend(q));
  });

  app.post('/v1/events', async (c) => {
    // Read from the Node request itself (see node-request.ts): no web Request built per POST.
    const raw = await readBodyText(c, MAX_BODY_BYTES);
    if (raw === BODY_TOO_LARGE) return c.json(errorBody('body_too_large', `request body exceeds ${MAX_BODY_BYTES} bytes`), 413);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      throw new DomainError('bad_json', 400, 'request body is not valid JSON');
    }
    const batch = parseWith(EventsBatch, body, 'invalid_body', 422);
    const key = requestHeader(c, 'idempotency-key');
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
      throw new DomainError('invalid_header', 400, 'Idempotency-Key must be 1–128 printable ASCII characters without spaces');
    }
    // 202 only once the commit survives power loss (group fsync, off the event loop).
    const out = await core.ingestor.ingestDurably({ events: eventsOf(batch), idempotencyKey: key, rawBody: raw });
    if (out.replayed) c.header('Idempotent-Replayed', 'true');
    if (out.status === 429) c.header('Retry-After', '1');
    return c.json(out.body, out.status);
  });

  app.get('/v1/users/:id/history', (c) => {
    const { id } = parseWith(UserParams, { id: c.req.param('id') }, 'invalid_param', 400);
    const body: UserHistory = {
      user: id,
      events: edb.events.listByUser(id, 1000).map((e) => ({
        eventId: e.eventId, item: e.item, type: e.type as EventType, weight: e.weight, ts: e.ts,
      })),
    };
    return c.json(body);
  });

  app.delete('/v1/users/:id', async (c) => {
    const { id } = parseWith(UserParams, { id: c.req.param('id') }, 'invalid_param', 400);
    core.eraseUser(id);
    await edb.durable();
    return c.body(null, 204);
  });

  app.get('/v1/model', (c) => {
    const body: ModelInfo = {
      version: holder.version, parent: holder.parent, backend: 'typed-arrays', lastSyncAt: holder.lastSyncAt,
      numItems: holder.numItems, dim: holder.model.config.dim,
    };
    return c.json(body);
  });

  app.get('/v1/learner', async (c) => {
    const q = parseWith(LearnerQuery, c.req.query(), 'invalid_query', 400);
    const target = q.waitFor ?? edb.events.maxSeq();
    const caughtUp = q.waitFor === undefined ? learner.applied >= target : await learner.waitForApplied(target, q.timeoutMs);
    if (!core.ready) throw new DomainError('not_ready', 503, 'edge node is shutting down');
    const maxSeq = edb.events.maxSeq();
    const body: LearnerStatsBody = { ...learner.stats(), maxSeq, lagEvents: Math.max(0, maxSeq - learner.applied), caughtUp };
    return c.json(body);
  });

  const health = (): HealthBody => {
    const sync = core.sync.status();
    const syncOk = sync.connected || core.sync === noopSyncClient;
    return {
      status: core.ready && syncOk ? 'ok' : 'degraded', service: 'edge', nodeId: core.nodeId, modelVersion: holder.version,
      uptimeMs: Math.max(0, Math.round(core.clock() - core.startedAt)),
      checks: { db: { ok: core.ready }, learner: { ok: learner.isRunning }, sync: { ok: syncOk, detail: sync.detail } },
    };
  };
  app.get('/healthz', (c) => c.json(health()));
  app.get('/readyz', (c) =>
    core.ready && learner.isRunning ? c.json(health()) : c.json(errorBody('not_ready', 'database closed or model not loaded'), 503));
  app.get('/metrics', async (c) => c.text(await metrics.registry.metrics(), 200, { 'Content-Type': metrics.registry.contentType }));
  app.get('/openapi.json', (c) => c.json(openApi));
  app.get('/docs', (c) => c.html(DOCS_HTML));
  return app;
}
