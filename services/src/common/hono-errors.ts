import type { Context, Env, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { HTTPException } from 'hono/http-exception';
import { isDomainError } from '@edgerec/proto-schemas';
import { isStorageFull } from '../store/open-database.js';

/** The JSON error body of every edgerec HTTP API. */
export const errorBody = (code: string, message: string): { error: { code: string; message: string } } => ({ error: { code, message } });

/**
 * Maps errors to `{error:{code,message}}`: a DomainError keeps its code and status, a
 * client-side HTTPException (e.g. body limit) becomes `http_error`, a full database (SQLITE_FULL:
 * disk full or the size cap reached; the request's transaction rolled back) is logged and
 * answered 507 `storage_full`, anything else is logged and answered 500 without details;
 * unknown routes are 404 `not_found`.
 *
 * @example
 * useJsonErrors(app, (err, c) => logger.error({ err, path: c.req.path }, 'request failed'));
 */
export function useJsonErrors<E extends Env>(app: Hono<E>, onUnexpected: (err: unknown, c: Context<E>) => void): void {
  app.onError((err, c) => {
    if (isDomainError(err)) {
      const status = err.status >= 400 && err.status <= 599 ? err.status : 500;
      return c.json(err.toJSON(), status as ContentfulStatusCode);
    }
    if (err instanceof HTTPException && err.status < 500) {
      return c.json(errorBody('http_error', err.message || 'bad request'), err.status as ContentfulStatusCode);
    }
    onUnexpected(err, c);
    if (isStorageFull(err)) {
      return c.json(errorBody('storage_full', 'storage is full: nothing of this request was stored; retry later'), 507);
    }
    return c.json(errorBody('internal', 'internal error'), 500);
  });
  app.notFound((c) => c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path.slice(0, 200)}`), 404));
}
