import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_ROUTES } from './admin-routes.js';
import { AdminHarness } from './admin-harness.js';

let a: AdminHarness;
beforeAll(async () => {
  a = await AdminHarness.start({
    policy: { minNodes: 3 },
    edges: [{ id: 'edge-a', region: '1' }, { id: 'edge-b', region: '1' }, { id: 'edge-c', region: '2' }],
  });
});
afterAll(() => a.cleanup());

/** A concrete path for a route pattern, with ids that exist. */
const concrete = (path: string) =>
  path.replace(':id', 'edge-a').replace(':region', '1').replace(':v', '1');

const adminRoutes = ADMIN_ROUTES.filter((r) => r.path.startsWith('/admin/'));
const mutating = adminRoutes.filter((r) => r.method !== 'get');

describe('admin API auth', () => {
  it.each([...adminRoutes.map((r) => [r.method.toUpperCase(), concrete(r.path)]), ['GET', '/admin/events']])(
    '%s %s without a token is 401 with a Bearer challenge',
    async (method, path) => {
      const r = await a.request(method, path, { as: null, body: {} });
      expect(r.status).toBe(401);
      expect(r.json.error.code).toBe('unauthenticated');
      expect(r.res.headers.get('www-authenticate')).toMatch(/^Bearer /);
    },
  );

  it('an unknown token is 401 and the token never appears in the answer', async () => {
    const r = await a.request('GET', '/admin/nodes', { as: 'not-a-real-token-but-long-enough' });
    expect(r.status).toBe(401);
    expect(JSON.stringify(r.json)).not.toContain('not-a-real-token');
  });

  it.each(mutating.map((r) => [r.method.toUpperCase(), concrete(r.path)]))('%s %s as a viewer is 403', async (method, path) => {
    const r = await a.request(method, path, { as: 'viewer', body: {} });
    expect(r.status).toBe(403);
    expect(r.json.error).toMatchObject({ code: 'forbidden', message: expect.stringContaining('operator') });
  });

  it('a viewer may read every GET route', async () => {
    for (const r of adminRoutes.filter((x) => x.method === 'get' && !x.path.includes(':v/canary'))) {
      const res = await a.request('GET', concrete(r.path), { as: 'viewer' });
      expect(res.status, r.path).toBe(200);
    }
  });

  it('/healthz, /metrics, /console and /admin/openapi.json need no token', async () => {
    expect((await a.request('GET', '/healthz', { as: null })).json).toMatchObject({ status: 'ok', service: 'central', modelVersion: 1 });
    const metrics = await a.request('GET', '/metrics', { as: null });
    expect(await metrics.res.text()).toMatch(/edgerec_central_model_version 1/);
    const page = await a.request('GET', '/console', { as: null });
    expect(page.status).toBe(200);
    expect(page.res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const doc = (await a.request('GET', '/admin/openapi.json', { as: null })).json;
    for (const r of adminRoutes) expect(doc.paths[r.path.replace(/:([a-z]+)/g, '{$1}')]?.[r.method], r.path).toBeDefined();
    expect(doc.components.securitySchemes.bearerAuth).toEqual({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/admin/policy'].put.requestBody.content['application/json'].schema).toBeDefined();
  });
});

describe('admin API input validation', () => {
  it.each(mutating.map((r) => [r.method.toUpperCase(), concrete(r.path)]))('%s %s refuses unknown body fields with 400', async (method, path) => {
    const r = await a.request(method, path, { body: { bogus: 1 } });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('invalid_body');
    expect(r.json.error.message).toMatch(/bogus|Unrecognized/);
  });

  it.each([
    ['PUT', '/admin/policy', { minNodes: 0 }, /minNodes/],
    ['PUT', '/admin/policy', { strategy: { name: 'nope' } }, /strategy/],
    ['PUT', '/admin/policy', { strategy: { name: 'krum', dp: { clip: 1, noiseMultiplier: 1 } } }, /dp/],
    ['PUT', '/admin/policy', {}, /at least one/],
    ['PUT', '/admin/policy', { deadlineMs: 'soon' }, /deadlineMs/],
    ['POST', '/admin/models/1/canary', { fraction: 0.5, nodeIds: ['edge-a'] }, /exactly one/],
    ['POST', '/admin/models/1/canary', { fraction: 1.5 }, /fraction/],
    ['POST', '/admin/rounds', { nodeIds: ['a/b'] }, /nodeIds/],
    ['POST', '/admin/nodes/edge-a/pause', { reason: 'x'.repeat(501) }, /reason/],
  ])('%s %s %j → 400 naming the field', async (method, path, body, message) => {
    const r = await a.request(method, path, { body });
    expect(r.status).toBe(400);
    expect(r.json.error.message).toMatch(message);
  });

  it('malformed JSON, bad path params and bad queries are 400', async () => {
    expect((await a.request('POST', '/admin/nodes/edge-a/pause', { raw: '{"reason":' })).json.error.code).toBe('bad_json');
    expect((await a.request('POST', '/admin/nodes/a+b/pause', { body: {} })).json.error.code).toBe('invalid_param');
    expect((await a.request('POST', '/admin/models/abc/promote', { body: {} })).json.error.code).toBe('invalid_param');
    expect((await a.request('GET', '/admin/audit?limit=0')).json.error.code).toBe('invalid_query');
  });

  it.each([
    ['POST', '/admin/nodes/ghost/pause', 'unknown_node'],
    ['POST', '/admin/nodes/ghost/quarantine', 'unknown_node'],
    ['POST', '/admin/regions/9/pause', 'unknown_region'],
    ['POST', '/admin/models/99/promote', 'unknown_version'],
    ['POST', '/admin/models/99/rollback', 'unknown_version'],
    ['POST', '/admin/models/99/canary', 'unknown_version'],
    ['GET', '/admin/models/99/artifact', 'unknown_version'],
    ['GET', '/admin/models/1/canary', 'no_canary'],
    ['GET', '/admin/nothing-here', 'not_found'],
  ])('%s %s → 404 %s', async (method, path, code) => {
    const r = await a.request(method, path, { body: path.endsWith('/canary') ? { fraction: 0.5 } : {} });
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe(code);
  });

  it('refused requests leave no audit row', async () => {
    const before = a.central.store.audit.recent(1000).length;
    await a.request('POST', '/admin/nodes/edge-a/pause', { as: 'viewer', body: {} });
    await a.request('POST', '/admin/nodes/edge-a/pause', { body: { bogus: true } });
    await a.request('POST', '/admin/nodes/ghost/pause', { body: {} });
    expect(a.central.store.audit.recent(1000)).toHaveLength(before);
  });
});
