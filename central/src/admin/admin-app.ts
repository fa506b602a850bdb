import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { streamSSE } from 'hono/streaming';
import type { z } from 'zod';
import { buildOpenApi, DomainError, formatIssues, type OpenApiDocument } from '@edgerec/proto-schemas';
import { silentLogger, type Logger } from '../central-logger.js';
import type { CentralService } from '../central-service.js';
import { registerConsoleRoutes } from '../console/index.js';
import { adminAuth, type AdminEnv } from './admin-auth.js';
import type { AdminContext } from './admin-context.js';
import { ADMIN_ROUTES } from './admin-routes.js';
import { TokenVerifier, type AdminTokens } from './admin-tokens.js';
import { ChangeFeed, probeChanges } from './change-feed.js';
import { restoreAdminState } from './round-controls.js';
import { errorBody, useJsonErrors } from '@edgerec/services/common';

export interface AdminAppDeps {
  central: CentralService;
  /** admin credentials; none → every /admin request is refused with 401 */
  tokens: AdminTokens | TokenVerifier;
  logger?: Logger;
  now?: () => number;
  /** how often the live-update feed probes SQLite while a console listens (default 1000 ms) */
  feedIntervalMs?: number;
  /** SSE keep-alive comment interval (default 15 s) */
  heartbeatMs?: number;
}

const MAX_ADMIN_BODY = 64 * 1024;

function parse<S extends z.ZodType>(schema: S, value: unknown, code: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new DomainError(code, 400, formatIssues(r.error));
  return r.data;
}

/** JSON body of a mutating request; an empty body counts as `{}` (all action fields are optional). */
async function jsonBody(c: Context): Promise<unknown> {
  const raw = await c.req.text();
  if (raw.trim() === '') return {};
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) throw new DomainError('unsupported_media_type', 415, 'send the body as application/json');
  try {
    return JSON.parse(raw);
  } catch {
    throw new DomainError('bad_json', 400, 'request body is not valid JSON');
  }
}

/** The admin API's OpenAPI 3.1 document, generated from the route table. */
export function adminOpenApi(): OpenApiDocument {
  return buildOpenApi({
    title: 'edgerec central admin',
    version: '0.1.0',
    description: 'Sync controls, model registry, canary/rollback, audit and federated training reports. '
      + 'Bearer tokens: role viewer may GET, role operator may also change things; every change is audited.',
    routes: [
      ...ADMIN_ROUTES,
      { method: 'get', path: '/admin/events', summary: 'Server-sent events on round/node/model/sync changes', tags: ['ops'], auth: 'bearer',
        responses: { 200: { description: 'text/event-stream of `change` events: {"kind","at"}' } } },
    ],
  });
}

/**
 * Central's admin HTTP API and web console as a Hono app (DESIGN §4–§5). Public: /healthz,
 * /metrics, /console (+ assets) and /admin/openapi.json. Everything else under /admin
 * needs `Authorization: Bearer <token>`: 401 without a valid one, 403 for a viewer on a
 * non-GET route. Errors are `{error:{code,message}}` (bad input 400, unknown ids 404,
 * state conflicts 409). Persisted operator state (policy, stopped sync) is re-applied.
 *
 * @example
 * const app = createAdminApp({ central, tokens: [{ token, role: 'operator', name: 'alice' }] });
 * await app.request('/admin/nodes', { headers: { authorization: `Bearer ${token}` } });
 */
export function createAdminApp(deps: AdminAppDeps): Hono<AdminEnv> {
  const logger = deps.logger ?? silentLogger;
  const verifier = deps.tokens instanceof TokenVerifier ? deps.tokens : new TokenVerifier(deps.tokens);
  const now = deps.now ?? Date.now;
  const feed = new ChangeFeed(probeChanges(deps.central.store.db, () => ({ sync: String(deps.central.rounds.suspended) })), {
    intervalMs: deps.feedIntervalMs ?? 1000, now,
  });
  const ctx: AdminContext = { central: deps.central, logger, now, notify: (kind) => feed.notify(kind) };
  restoreAdminState(deps.central).catch((e) => logger.error({ err: e instanceof Error ? e.message : String(e) }, 'restoring admin state failed'));
  const openApi = adminOpenApi();

  const app = new Hono<AdminEnv>();
  useJsonErrors(app, (err, c) => logger.error({ err: err instanceof Error ? err.message : String(err), method: c.req.method, path: c.req.path }, 'admin request failed'));

  app.get('/admin/openapi.json', (c) => c.json(openApi));
  registerConsoleRoutes(app);
  app.use('/admin/*', adminAuth(verifier));
  app.use('/admin/*', bodyLimit({
    maxSize: MAX_ADMIN_BODY,
    onError: () => { throw new DomainError('body_too_large', 413, `body over ${MAX_ADMIN_BODY} bytes`); },
  }));

  for (const r of ADMIN_ROUTES) {
    app.on(r.method.toUpperCase(), r.path, async (c) => {
      const hasBody = r.method !== 'get' && r.body !== undefined;
      const input = {
        params: r.params ? parse(r.params, c.req.param(), 'invalid_param') : undefined,
        query: r.query ? parse(r.query, c.req.query(), 'invalid_query') : undefined,
        body: hasBody ? parse(r.body!, await jsonBody(c), 'invalid_body') : undefined,
        actor: c.get('actor'), ctx, c,
      };
      const out = await r.handle(input);
      return out instanceof Response ? out : c.json(out as object);
    });
  }

  app.get('/admin/events', (c) => streamSSE(c, async (stream) => {
    let closed = false;
    const done = new Promise<void>((resolve) => stream.onAbort(() => { closed = true; resolve(); }));
    const off = feed.subscribe((e) => {
      if (!closed) void stream.writeSSE({ event: 'change', data: JSON.stringify(e) }).catch(() => undefined);
    });
    try {
      await stream.writeSSE({ event: 'hello', data: JSON.stringify({ at: now(), activeVersion: deps.central.activeVersion() }) });
      while (!closed) {
        await Promise.race([done, stream.sleep(deps.heartbeatMs ?? 15_000)]);
        if (!closed) await stream.write(': keep-alive\n\n');
      }
    } finally {
      off();
    }
  }));
  return app;
}
