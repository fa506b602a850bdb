import { z } from 'zod';
import { DomainError } from './domain-error.js';

/**
 * Builds the OpenAPI 3.1 document an app serves at `/openapi.json` from the same zod
 * schemas it validates with, so the docs cannot drift from the code. Schemas carrying
 * `.meta({ id })` become `components.schemas` entries referenced by `$ref`.
 */

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Json = Record<string, unknown>;

/** A response with more than a schema; `schema` absent means no body (e.g. 204). */
export interface ResponseSpec {
  description?: string;
  schema?: z.ZodType;
  contentType?: string;
}

/** One route as the app registers it. `path` may use Hono's `:param` or OpenAPI's `{param}`. */
export interface RouteDescriptor {
  method: HttpMethod;
  path: string;
  summary: string;
  description?: string;
  tags?: string[];
  operationId?: string;
  /** Path parameter schemas; each `:param` is a plain string when absent. */
  params?: z.ZodObject;
  /** Query schema; its input form (strings, defaults) is documented. */
  query?: z.ZodObject;
  body?: z.ZodType;
  bodyContentType?: string;
  /** Requires `Authorization: Bearer <token>` (admin routes). */
  auth?: 'bearer';
  /** By status code: a schema, a {@link ResponseSpec}, or `null` for no body. */
  responses: Record<number, z.ZodType | ResponseSpec | null>;
}

export interface OpenApiInput {
  title: string;
  version: string;
  description?: string;
  servers?: { url: string; description?: string }[];
  routes: readonly RouteDescriptor[];
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description?: string };
  servers?: { url: string; description?: string }[];
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json>; securitySchemes?: Record<string, Json> };
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 400: 'Bad Request', 401: 'Unauthorized',
  403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type',
  422: 'Unprocessable Content', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

const DEFS_PREFIX = '#/$defs/';
const COMPONENTS_PREFIX = '#/components/schemas/';

/** Converts schemas one at a time, hoisting each result's `$defs` into shared components. */
class SchemaComponents {
  readonly schemas: Record<string, Json> = {};
  private anonymous = 0;

  convert(schema: z.ZodType, io: 'input' | 'output'): Json {
    const { $schema: _s, $defs, ...root } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
    const defs = ($defs ?? {}) as Record<string, Json>;
    const names = new Map<string, string>();
    for (const name of Object.keys(defs)) names.set(name, name.startsWith('__') ? `Anonymous${++this.anonymous}` : name);
    for (const [name, def] of Object.entries(defs)) {
      // One id can render differently (a default is optional on input, present on output):
      // responses are converted first and keep the plain name, inputs then get `Input`.
      const wanted = names.get(name)!;
      const fits = (c: string) => !this.schemas[c] || sameJson(this.schemas[c], rewriteRefs(def, new Map(names).set(name, c)));
      let chosen = (io === 'input' ? [wanted, `${wanted}Input`] : [wanted]).find(fits);
      for (let n = 2; !chosen; n++) if (fits(`${wanted}${n}`)) chosen = `${wanted}${n}`;
      names.set(name, chosen);
    }
    for (const [name, def] of Object.entries(defs)) this.schemas[names.get(name)!] = rewriteRefs(def, names);
    return rewriteRefs(root, names);
  }

  /** The schema a `$ref` points at, for callers that need the object (query parameters). */
  resolve(json: Json): Json {
    const ref = json.$ref;
    return typeof ref === 'string' && ref.startsWith(COMPONENTS_PREFIX)
      ? (this.schemas[ref.slice(COMPONENTS_PREFIX.length)] ?? json)
      : json;
  }
}

function rewriteRefs<T>(value: T, names: ReadonlyMap<string, string>): T {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, names)) as T;
  if (typeof value !== 'object' || value === null) return value;
  const out: Json = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === '$ref' && typeof v === 'string' && v.startsWith(DEFS_PREFIX)) {
      const name = v.slice(DEFS_PREFIX.length).replace(/~1/g, '/').replace(/~0/g, '~');
      out[key] = COMPONENTS_PREFIX + encodeURIComponent(names.get(name) ?? name);
    } else {
      out[key] = rewriteRefs(v, names);
    }
  }
  return out as T;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

const isZod = (v: unknown): v is z.ZodType => v instanceof z.ZodType;

function operationIdOf(method: HttpMethod, path: string): string {
  const words = path.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return method + words.map((w) => w[0].toUpperCase() + w.slice(1)).join('');
}

function parameters(route: RouteDescriptor, openApiPath: string, components: SchemaComponents): Json[] {
  const out: Json[] = [];
  const pathProps = route.params ? (components.resolve(components.convert(route.params, 'input')).properties as Json) : {};
  for (const [, name] of openApiPath.matchAll(/\{([^}]+)\}/g)) {
    out.push({ name, in: 'path', required: true, schema: pathProps?.[name] ?? { type: 'string' } });
  }
  if (route.query) {
    const json = components.resolve(components.convert(route.query, 'input'));
    const required = new Set((json.required as string[] | undefined) ?? []);
    for (const [name, schema] of Object.entries((json.properties ?? {}) as Record<string, Json>)) {
      const description = typeof schema.description === 'string' ? { description: schema.description } : {};
      out.push({ name, in: 'query', required: required.has(name), ...description, schema });
    }
  }
  return out;
}

function responses(route: RouteDescriptor, components: SchemaComponents): Json {
  const out: Json = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    const s: ResponseSpec = spec === null ? {} : isZod(spec) ? { schema: spec } : spec;
    const description = s.description ?? STATUS_TEXT[Number(status)] ?? `Status ${status}`;
    out[status] = s.schema
      ? { description, content: { [s.contentType ?? 'application/json']: { schema: components.convert(s.schema, 'output') } } }
      : { description };
  }
  return out;
}

/**
 * Builds an OpenAPI 3.1 document (JSON Schema 2020-12 dialect) from route descriptors.
 * Throws `DomainError('duplicate_route')` when a method+path appears twice.
 *
 * @example
 * const doc = buildOpenApi({ title: 'edgerec edge', version: '0.1.0', routes: [
 *   { method: 'get', path: '/v1/recommendations', summary: 'Top-k for a user', query: RecommendationsQuery,
 *     responses: { 200: RecommendationsResponse, 400: ErrorBody } },
 *   { method: 'post', path: '/v1/events', summary: 'Ingest events', body: EventsBatch,
 *     responses: { 200: EventsAccepted, 400: ErrorBody, 413: ErrorBody } },
 * ] });
 * app.get('/openapi.json', (c) => c.json(doc));
 */
export function buildOpenApi(input: OpenApiInput): OpenApiDocument {
  const components = new SchemaComponents();
  const paths: OpenApiDocument['paths'] = {};
  let needsBearer = false;
  const routeResponses = input.routes.map((route) => responses(route, components));
  for (const [i, route] of input.routes.entries()) {
    const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const item = (paths[path] ??= {});
    if (item[route.method]) throw new DomainError('duplicate_route', 500, `${route.method.toUpperCase()} ${path} is described twice`);
    const params = parameters(route, path, components);
    const op: Json = { operationId: route.operationId ?? operationIdOf(route.method, route.path), summary: route.summary };
    if (route.description) op.description = route.description;
    if (route.tags) op.tags = route.tags;
    if (params.length) op.parameters = params;
    if (route.body) {
      const schema = components.convert(route.body, 'input');
      op.requestBody = { required: true, content: { [route.bodyContentType ?? 'application/json']: { schema } } };
    }
    op.responses = routeResponses[i];
    if (route.auth === 'bearer') {
      op.security = [{ bearerAuth: [] }];
      needsBearer = true;
    }
    item[route.method] = op;
  }
  const doc: OpenApiDocument = {
    openapi: '3.1.0',
    info: { title: input.title, version: input.version, ...(input.description ? { description: input.description } : {}) },
    ...(input.servers ? { servers: input.servers } : {}),
    paths,
    components: { schemas: components.schemas },
  };
  if (needsBearer) doc.components.securitySchemes = { bearerAuth: { type: 'http', scheme: 'bearer' } };
  return doc;
}
