import type { MiddlewareHandler } from 'hono';
import { DomainError } from '@edgerec/proto-schemas';
import type { AdminActor, TokenVerifier } from './admin-tokens.js';

/** Hono env of the admin routes: the authenticated actor travels in `c.get('actor')`. */
export type AdminEnv = { Variables: { actor: AdminActor } };

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Bearer-token auth for `/admin/*`: no or an unknown token → 401 (with
 * `WWW-Authenticate`), a viewer on a mutating method → 403. Runs before any body is read,
 * so an unauthenticated request never reaches validation. Tokens are never logged.
 *
 * @example
 * app.use('/admin/*', adminAuth(new TokenVerifier(tokens)));
 */
export function adminAuth(verifier: TokenVerifier): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer[ ]+([\x21-\x7e]{1,512})$/i.exec(header);
    const actor = m ? verifier.verify(m[1]) : null;
    if (!actor) {
      c.header('WWW-Authenticate', 'Bearer realm="edgerec-admin"');
      throw new DomainError('unauthenticated', 401, m ? 'unknown admin token' : 'missing "Authorization: Bearer <token>" header');
    }
    if (!READ_METHODS.has(c.req.method) && actor.role !== 'operator') {
      throw new DomainError('forbidden', 403, `role ${actor.role} may not ${c.req.method} ${c.req.path}; operator required`);
    }
    c.set('actor', actor);
    await next();
  };
}
