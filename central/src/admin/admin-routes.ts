import { z } from 'zod';
import { ErrorBody, HealthBody } from '@edgerec/proto-schemas';
import { buildFederatedReport, readReportSource, renderReportHtml, roundsCsv } from '../reports/index.js';
import {
  ActionBody, ActionResult, AuditResponse, CanaryBody, CanaryView, LimitQuery, ModelsResponse, NodeParams, NodesResponse,
  PolicyResponse, PolicyUpdate, RegionParams, RoundsResponse, SyncStatus, TriggerBody, VersionParams,
} from './admin-schemas.js';
import { route, type AdminRoute } from './admin-route.js';
import { abortCanary, canaryView, startCanary } from './canary-rollout.js';
import { artifactOf, listModels, promoteVersion, rollbackTo } from './model-controls.js';
import { listNodes, setNodePaused, setQuarantined, setRegionPaused } from './node-controls.js';
import {
  closeCurrentRound, currentPolicy, listRounds, setSyncStopped, syncStatus, triggerRound, updatePolicy,
} from './round-controls.js';

const text = (description: string, contentType: string) => ({ description, schema: z.string(), contentType });
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const readErrors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody };
const startedAt = Date.now();

/** Every route of central's admin HTTP API (besides /console and /admin/openapi.json). */
export const ADMIN_ROUTES: readonly AdminRoute[] = [
  route({
    method: 'get', path: '/healthz', summary: 'Liveness', tags: ['ops'], access: 'none', responses: { 200: HealthBody },
    handle: ({ ctx }): HealthBody => ({
      status: ctx.central.transport.connected ? 'ok' : 'degraded', service: 'central', modelVersion: ctx.central.activeVersion(),
      uptimeMs: Date.now() - startedAt, checks: { broker: { ok: ctx.central.transport.connected } },
    }),
  }),
  route({
    method: 'get', path: '/metrics', summary: 'Prometheus metrics', tags: ['ops'], access: 'none',
    responses: { 200: text('Prometheus text exposition', 'text/plain') },
    handle: async ({ ctx, c }) => {
      const reg = ctx.central.metrics.registry;
      return c.body(await reg.metrics(), 200, { 'content-type': reg.contentType });
    },
  }),
  route({
    method: 'get', path: '/admin/session', summary: 'Who the token belongs to (name and role)', tags: ['ops'], auth: 'bearer',
    responses: { 200: z.object({ name: z.string(), role: z.enum(['viewer', 'operator']) }), 401: ErrorBody },
    handle: ({ actor }) => ({ name: actor.name, role: actor.role }),
  }),
  route({
    method: 'get', path: '/admin/nodes', summary: 'Nodes: region, online/offline, model version, outbox, quality, flags', tags: ['nodes'],
    auth: 'bearer', responses: { 200: NodesResponse, ...readErrors }, handle: ({ ctx }) => listNodes(ctx.central.store),
  }),
  ...(['pause', 'resume'] as const).map((op) => route({
    method: 'post', path: `/admin/nodes/:id/${op}`, tags: ['nodes'], auth: 'bearer', params: NodeParams, body: ActionBody,
    summary: op === 'pause' ? 'Pause a node: rounds stop waiting for it; it is told to stop syncing' : 'Resume a paused node',
    responses: { 200: ActionResult, ...errors },
    handle: ({ ctx, actor, params, body }) => setNodePaused(ctx, actor, params.id, op === 'pause', body.reason),
  })),
  ...(['quarantine', 'release'] as const).map((op) => route({
    method: 'post', path: `/admin/nodes/:id/${op}`, tags: ['nodes'], auth: 'bearer', params: NodeParams, body: ActionBody,
    summary: op === 'quarantine' ? 'Quarantine a node: its deltas are refused, those in the open round excluded' : 'Release a quarantined node',
    responses: { 200: ActionResult, ...errors },
    handle: ({ ctx, actor, params, body }) => setQuarantined(ctx, actor, params.id, op === 'quarantine', body.reason),
  })),
  ...(['pause', 'resume'] as const).map((op) => route({
    method: 'post', path: `/admin/regions/:region/${op}`, tags: ['nodes'], auth: 'bearer', params: RegionParams, body: ActionBody,
    summary: `${op === 'pause' ? 'Pause' : 'Resume'} every node of a region`, responses: { 200: ActionResult, ...errors },
    handle: ({ ctx, actor, params, body }) => setRegionPaused(ctx, actor, params.region, op === 'pause', body.reason),
  })),
  route({
    method: 'get', path: '/admin/rounds', summary: 'Round timeline (newest first) and sync status', tags: ['rounds'], auth: 'bearer',
    query: LimitQuery, responses: { 200: RoundsResponse, ...readErrors },
    handle: ({ ctx, query }) => ({ rounds: listRounds(ctx.central, query.limit), sync: syncStatus(ctx.central) }),
  }),
  route({
    method: 'post', path: '/admin/rounds', summary: 'Trigger a round now: edges are told to sync at once', tags: ['rounds'], auth: 'bearer',
    body: TriggerBody, responses: { 200: ActionResult, ...errors },
    handle: ({ ctx, actor, body }) => triggerRound(ctx, actor, body),
  }),
  route({
    method: 'post', path: '/admin/rounds/current/close', summary: 'Close the open round now (aggregate what it has)', tags: ['rounds'],
    auth: 'bearer', body: ActionBody, responses: { 200: ActionResult, ...errors },
    handle: ({ ctx, actor, body }) => closeCurrentRound(ctx, actor, body.reason),
  }),
  route({
    method: 'get', path: '/admin/sync', summary: 'Sync status: stopped?, active version, open round, canary', tags: ['rounds'],
    auth: 'bearer', responses: { 200: SyncStatus, ...readErrors }, handle: ({ ctx }) => syncStatus(ctx.central),
  }),
  ...(['stop', 'start'] as const).map((op) => route({
    method: 'post', path: `/admin/sync/${op}`, tags: ['rounds'], auth: 'bearer', body: ActionBody,
    summary: op === 'stop' ? 'Stop federated sync: deltas wait in edge outboxes, rounds freeze' : 'Start federated sync again',
    responses: { 200: ActionResult, ...errors },
    handle: ({ ctx, actor, body }) => setSyncStopped(ctx, actor, op === 'stop', body.reason),
  })),
  route({
    method: 'get', path: '/admin/policy', summary: 'Round policy for the next rounds', tags: ['rounds'], auth: 'bearer',
    responses: { 200: PolicyResponse, ...readErrors }, handle: ({ ctx }) => ({ policy: currentPolicy(ctx.central) }),
  }),
  route({
    method: 'put', path: '/admin/policy', summary: 'Change the round policy (min nodes, deadline, strategy, codec, staleness, DP)',
    tags: ['rounds'], auth: 'bearer', body: PolicyUpdate, responses: { 200: ActionResult, ...errors },
    handle: ({ ctx, actor, body }) => updatePolicy(ctx, actor, body),
  }),
  route({
    method: 'get', path: '/admin/models', summary: 'Model versions with metrics and lineage', tags: ['models'], auth: 'bearer',
    query: LimitQuery, responses: { 200: ModelsResponse, ...readErrors }, handle: ({ ctx, query }) => listModels(ctx.central, query.limit),
  }),
  route({
    method: 'post', path: '/admin/models/:v/promote', summary: 'Promote a newer version to every edge', tags: ['models'], auth: 'bearer',
    params: VersionParams, body: ActionBody, responses: { 200: ActionResult, ...errors },
    handle: ({ ctx, actor, params, body }) => promoteVersion(ctx, actor, params.v, body.reason),
  }),
  route({
    method: 'post', path: '/admin/models/:v/rollback', summary: 'Roll back to a released version (re-released under a new number)',
    tags: ['models'], auth: 'bearer', params: VersionParams, body: ActionBody, responses: { 200: ActionResult, ...errors },
    handle: ({ ctx, actor, params, body }) => rollbackTo(ctx, actor, params.v, body.reason),
  }),
  route({
    method: 'post', path: '/admin/models/:v/canary', summary: 'Publish a version to some nodes only (nodeIds or fraction)',
    tags: ['models'], auth: 'bearer', params: VersionParams, body: CanaryBody, responses: { 200: ActionResult, ...errors },
    handle: ({ ctx, actor, params, body }) => startCanary(ctx, actor, params.v, body),
  }),
  route({
    method: 'get', path: '/admin/models/:v/canary', summary: 'Canary vs the rest: live federated metrics', tags: ['models'],
    auth: 'bearer', params: VersionParams, responses: { 200: CanaryView, ...readErrors },
    handle: ({ ctx, params }) => canaryView(ctx.central.store, ctx.central.activeVersion(), params.v),
  }),
  route({
    method: 'delete', path: '/admin/models/:v/canary', summary: 'Abort the canary (canary edges move on to the active weights)',
    tags: ['models'], auth: 'bearer', params: VersionParams, body: ActionBody, responses: { 200: ActionResult, ...errors },
    handle: ({ ctx, actor, params, body }) => abortCanary(ctx, actor, params.v, body.reason),
  }),
  route({
    method: 'get', path: '/admin/models/:v/artifact', summary: 'Download the int8 snapshot of a version', tags: ['models'],
    auth: 'bearer', params: VersionParams, responses: { 200: text('int8 snapshot bytes', 'application/octet-stream'), ...readErrors },
    handle: ({ ctx, params, c }) => {
      const { bytes, info } = artifactOf(ctx.central.store, params.v);
      return c.body(new Uint8Array(bytes), 200, {
        'content-type': 'application/octet-stream', 'content-disposition': `attachment; filename="model-v${info.version}.${info.codec}.bin"`,
        'x-sha256': info.sha256,
      });
    },
  }),
  route({
    method: 'get', path: '/admin/audit', summary: 'Audit log, newest first', tags: ['audit'], auth: 'bearer', query: LimitQuery,
    responses: { 200: AuditResponse, ...readErrors }, handle: ({ ctx, query }) => ({ entries: ctx.central.store.audit.recent(query.limit) }),
  }),
  ...(['json', 'csv', 'html'] as const).map((fmt) => route({
    method: 'get', path: fmt === 'html' ? '/admin/reports/federated.html' : `/admin/reports/rounds.${fmt}`, tags: ['reports'],
    auth: 'bearer', query: LimitQuery.extend({ limit: z.coerce.number().int().min(1).max(100_000).default(10_000) }),
    summary: fmt === 'html' ? 'Self-contained HTML report with charts' : `Federated training report as ${fmt.toUpperCase()}`,
    responses: { 200: text(`${fmt} report`, fmt === 'html' ? 'text/html' : fmt === 'csv' ? 'text/csv' : 'application/json'), ...readErrors },
    handle: ({ ctx, query, c }) => {
      const report = buildFederatedReport(readReportSource(ctx.central.store.db, query.limit), { generatedAt: ctx.now() });
      if (fmt === 'json') return report;
      const name = fmt === 'html' ? 'federated-report.html' : 'rounds.csv';
      return c.body(fmt === 'html' ? renderReportHtml(report) : roundsCsv(report), 200, {
        'content-type': fmt === 'html' ? 'text/html; charset=utf-8' : 'text/csv; charset=utf-8',
        'content-disposition': `${fmt === 'html' ? 'inline' : 'attachment'}; filename="${name}"`,
      });
    },
  })),
];
