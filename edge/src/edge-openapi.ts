import {
  buildOpenApi, ErrorBody, EventsAccepted, EventsBatch, HealthBody, ModelInfo, RecommendationsQuery,
  RecommendationsResponse, UserHistory, type OpenApiDocument, type RouteDescriptor,
} from '@edgerec/proto-schemas';
import { z } from 'zod';
import { LearnerQuery, LearnerStatsBody, UserParams } from './http-schemas.js';

const text = (description: string, contentType: string) => ({ description, schema: z.string(), contentType });

/** Every route of the edge HTTP API, as documented at `/openapi.json`. */
export const EDGE_ROUTES: readonly RouteDescriptor[] = [
  {
    method: 'get', path: '/v1/recommendations', summary: 'Top-k items for a user', tags: ['serving'],
    description: 'Exact top-k over the catalog for a known user (seen items excluded); the local popularity list with `coldStart: true` for an unknown user. `explore` gives each slot that chance of being a random unseen popular item.',
    query: RecommendationsQuery, responses: { 200: RecommendationsResponse, 400: ErrorBody },
  },
  {
    method: 'post', path: '/v1/events', summary: 'Ingest interaction events', tags: ['ingest'],
    description: 'A single event or `{events:[…]}` (≤ 1000). Answered after COMMIT. Repeated eventIds count as duplicates; unknown items and users over their rate are listed in `rejected`. An optional `Idempotency-Key` header replays the first response for the same body and answers 409 for a different one.',
    body: EventsBatch,
    responses: { 202: EventsAccepted, 400: ErrorBody, 409: ErrorBody, 413: ErrorBody, 422: ErrorBody, 429: ErrorBody },
  },
  {
    method: 'get', path: '/v1/users/:id/history', summary: 'Stored events of a user, oldest first (newest 1000)', tags: ['users'],
    params: UserParams, responses: { 200: UserHistory, 400: ErrorBody },
  },
  {
    method: 'delete', path: '/v1/users/:id', summary: 'Erase a user: events, private vector, replay slots (idempotent)', tags: ['users'],
    params: UserParams, responses: { 204: null, 400: ErrorBody },
  },
  { method: 'get', path: '/v1/model', summary: 'The model being served', tags: ['model'], responses: { 200: ModelInfo } },
  {
    method: 'get', path: '/v1/learner', summary: 'Online-learning progress; optionally wait for an event seq', tags: ['model'],
    query: LearnerQuery, responses: { 200: LearnerStatsBody, 400: ErrorBody },
  },
  { method: 'get', path: '/healthz', summary: 'Liveness', tags: ['ops'], responses: { 200: HealthBody } },
  { method: 'get', path: '/readyz', summary: 'Readiness: database open and model loaded', tags: ['ops'], responses: { 200: HealthBody, 503: ErrorBody } },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics', tags: ['ops'], responses: { 200: text('Prometheus text exposition', 'text/plain') } },
  { method: 'get', path: '/openapi.json', summary: 'This document', tags: ['ops'], responses: { 200: { description: 'OpenAPI 3.1 document' } } },
  { method: 'get', path: '/docs', summary: 'Human-readable API reference', tags: ['ops'], responses: { 200: text('HTML page', 'text/html') } },
];

/**
 * The edge's OpenAPI document, generated from the same zod schemas the routes validate with.
 *
 * @example
 * app.get('/openapi.json', (c) => c.json(edgeOpenApi()));
 */
export function edgeOpenApi(): OpenApiDocument {
  return buildOpenApi({
    title: 'edgerec edge node',
    version: '0.1.0',
    description: 'Real-time recommendations, durable event ingest and online learning at one edge node.',
    routes: EDGE_ROUTES,
  });
}
