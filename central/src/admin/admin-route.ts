import type { Context } from 'hono';
import type { z } from 'zod';
import type { RouteDescriptor } from '@edgerec/proto-schemas';
import type { AdminEnv } from './admin-auth.js';
import type { AdminContext } from './admin-context.js';
import type { AdminActor } from './admin-tokens.js';

type Schema = z.ZodType;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What a handler gets: validated input, the actor and the admin context. */
export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  actor: AdminActor;
  ctx: AdminContext;
  c: Context<AdminEnv>;
}

/**
 * One admin route: its OpenAPI description and its handler in one object, so the served
 * /admin/openapi.json is generated from exactly the schemas the route validates with.
 * A handler returns a plain object (sent as JSON, 200) or a Response.
 */
export interface AdminRoute extends RouteDescriptor {
  /** 'none': public (health, metrics); default: bearer token, operator for non-GET */
  access?: 'none';
  handle(input: RouteInput<unknown, unknown, unknown>): unknown;
}

/**
 * Declares a route with handler input typed from its schemas.
 *
 * @example
 * route({ method: 'post', path: '/admin/nodes/:id/pause', summary: 'Pause a node', params: NodeParams, body: ActionBody,
 *   responses: { 200: ActionResult }, handle: ({ params, body, actor, ctx }) => setNodePaused(ctx, actor, params.id, true, body.reason) });
 */
export function route<P extends Schema | undefined = undefined, Q extends Schema | undefined = undefined, B extends Schema | undefined = undefined>(
  def: Omit<RouteDescriptor, 'params' | 'query' | 'body'> & {
    params?: P;
    query?: Q;
    body?: B;
    access?: 'none';
    handle(input: RouteInput<Out<P>, Out<Q>, Out<B>>): unknown;
  },
): AdminRoute {
  return def as unknown as AdminRoute;
}
