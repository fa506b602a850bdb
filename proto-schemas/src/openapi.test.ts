import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EventsAccepted, EventsBatch } from './http-events.js';
import { RecommendationsQuery, RecommendationsResponse, UserHistory } from './http-recommendations.js';
import { ErrorBody, HealthBody, ModelInfo } from './http-status-bodies.js';
import { buildOpenApi, type RouteDescriptor } from './openapi.js';

const edgeRoutes: RouteDescriptor[] = [
  { method: 'get', path: '/health', summary: 'Liveness', responses: { 200: HealthBody } },
  {
    method: 'post', path: '/v1/events', summary: 'Ingest events', tags: ['events'], body: EventsBatch,
    responses: { 200: EventsAccepted, 400: ErrorBody, 413: { description: 'Body over 1 MiB', schema: ErrorBody } },
  },
  {
    method: 'get', path: '/v1/recommendations', summary: 'Top-k for a user', query: RecommendationsQuery,
    responses: { 200: RecommendationsResponse, 400: ErrorBody },
  },
  { method: 'get', path: '/v1/users/:user/history', summary: 'User history', responses: { 200: UserHistory, 404: ErrorBody } },
  { method: 'get', path: '/v1/model', summary: 'Served model', responses: { 200: ModelInfo } },
  { method: 'post', path: '/admin/sync', summary: 'Force a sync', auth: 'bearer', responses: { 204: null, 401: ErrorBody } },
];

function refsIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refsIn(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refsIn(v, out);
    }
  }
  return out;
}

describe('buildOpenApi', () => {
  const doc = buildOpenApi({ title: 'edgerec edge', version: '0.1.0', routes: edgeRoutes });

  it('produces an OpenAPI 3.1 document with every route under its path', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toEqual({ title: 'edgerec edge', version: '0.1.0' });
    expect(Object.keys(doc.paths).sort()).toEqual(['/admin/sync', '/health', '/v1/events', '/v1/model', '/v1/recommendations', '/v1/users/{user}/history']);
    expect(doc.paths['/v1/events'].post).toMatchObject({ summary: 'Ingest events', tags: ['events'], operationId: 'postV1Events' });
  });

  it('puts named schemas in components and references them', () => {
    for (const name of ['EventsBatch', 'EventIn', 'EventsEnvelope', 'EventsAccepted', 'RecommendationsResponse', 'RecommendationItem', 'ErrorBody', 'HealthBody']) {
      expect(doc.components.schemas).toHaveProperty(name);
    }
    expect(doc.paths['/v1/events'].post.requestBody).toEqual({
      required: true,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/EventsBatch' } } },
    });
    expect(doc.components.schemas.EventsEnvelope).toMatchObject({
      type: 'object',
      properties: { events: { type: 'array', minItems: 1, maxItems: 1000, items: { $ref: '#/components/schemas/EventIn' } } },
    });
  });

  it('leaves no dangling $ref and no JSON Schema $defs behind', () => {
    const refs = refsIn(doc);
    expect(refs.length).toBeGreaterThan(5);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas).toHaveProperty(decodeURIComponent(ref.split('/').pop()!));
    }
    expect(JSON.stringify(doc)).not.toContain('$defs');
  });

  it('documents query parameters in their string-input form with defaults', () => {
    const params = doc.paths['/v1/recommendations'].get.parameters as { name: string; in: string; required: boolean; schema: Record<string, unknown> }[];
    expect(params.map((p) => [p.name, p.in, p.required])).toEqual([
      ['user', 'query', true], ['k', 'query', false], ['explain', 'query', false], ['explore', 'query', false],
    ]);
    expect(params[1].schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 100, default: 10 });
    expect(params[2].schema).toMatchObject({ type: 'string', enum: ['0', '1', 'true', 'false'] });
  });

  it('turns :params into required path parameters', () => {
    expect(doc.paths['/v1/users/{user}/history'].get.parameters).toEqual([{ name: 'user', in: 'path', required: true, schema: { type: 'string' } }]);
  });

  it('describes bodiless responses and bearer-protected routes', () => {
    const sync = doc.paths['/admin/sync'].post;
    expect(sync.responses).toMatchObject({ 204: { description: 'No Content' }, 401: { description: 'Unauthorized' } });
    expect((sync.responses as Record<string, object>)['204']).not.toHaveProperty('content');
    expect(sync.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.components.securitySchemes).toEqual({ bearerAuth: { type: 'http', scheme: 'bearer' } });
    expect((doc.paths['/v1/events'].post.responses as Record<string, { description: string }>)['413'].description).toBe('Body over 1 MiB');
  });

  it('gives every operation a unique operationId and survives JSON serialization', () => {
    const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    expect(new Set(ids).size).toBe(ids.length);
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  it('refuses a route described twice', () => {
    const twice = [edgeRoutes[0], { ...edgeRoutes[0], summary: 'again' }];
    expect(() => buildOpenApi({ title: 't', version: '1', routes: twice })).toThrow(expect.objectContaining({ code: 'duplicate_route' }));
  });

  it('keeps input and output renderings of one named schema apart when they differ', () => {
    const Paging = z.object({ limit: z.int().default(20) }).meta({ id: 'PagingTest' });
    const d = buildOpenApi({
      title: 't', version: '1',
      routes: [{ method: 'post', path: '/p', summary: 'p', body: Paging, responses: { 200: Paging } }],
    });
    expect(d.components.schemas.PagingTest).toMatchObject({ required: ['limit'] });
    expect(d.components.schemas.PagingTestInput).not.toHaveProperty('required');
    expect(d.paths['/p'].post.requestBody).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/PagingTestInput' } } } });
  });
});
