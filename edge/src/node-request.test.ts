import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_TOO_LARGE, readBodyText, requestHeader } from './node-request.js';

const LIMIT = 64;

/** Echoes the body (or 413) and the `x-probe` header, read the way the events route reads them. */
function echoApp(): Hono {
  const app = new Hono();
  app.post('/echo', async (c) => {
    const body = await readBodyText(c, LIMIT);
    if (body === BODY_TOO_LARGE) return c.json({ tooLarge: true }, 413);
    return c.json({ body, probe: requestHeader(c, 'x-probe') ?? null });
  });
  return app;
}

let server: Server;
let port: number;
beforeAll(async () => {
  port = await new Promise<number>((resolve) => {
    server = serve({ fetch: echoApp().fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve(info.port)) as Server;
  });
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** A raw POST: `chunks` written one by one (chunked encoding unless `contentLength` is given). */
function post(chunks: (string | Buffer)[], headers: Record<string, string | string[]> = {}): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/echo', method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
    });
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe('readBodyText over a real Node server', () => {
  it('returns the body as UTF-8 text, without a leading byte-order mark, from several chunks', async () => {
    const body = '{"a":"ünï","b":[1,2]}';
    const r = await post([Buffer.from([0xef, 0xbb, 0xbf]), body.slice(0, 7), body.slice(7)]);
    expect(r).toEqual({ status: 200, json: { body, probe: null } });
  });

  it('refuses a declared Content-Length over the limit without reading the body', async () => {
    const body = 'x'.repeat(LIMIT + 1);
    const r = await post([body], { 'content-length': String(body.length) });
    expect(r.status).toBe(413);
  });

  it('refuses a chunked body once it passes the limit, and accepts one exactly at it', async () => {
    expect((await post(['y'.repeat(40), 'y'.repeat(40)])).status).toBe(413);
    expect(await post(['z'.repeat(30), 'z'.repeat(LIMIT - 30)])).toEqual({ status: 200, json: { body: 'z'.repeat(LIMIT), probe: null } });
  });

  it('reads an empty body as the empty string', async () => {
    expect(await post([], { 'content-length': '0' })).toEqual({ status: 200, json: { body: '', probe: null } });
  });

  it('reads a header, joining repeated ones as Headers.get does', async () => {
    expect((await post(['{}'], { 'x-probe': 'k1' })).json).toEqual({ body: '{}', probe: 'k1' });
    expect((await post(['{}'], { 'x-probe': ['a', 'b'] })).json).toEqual({ body: '{}', probe: 'a, b' });
  });
});

describe('readBodyText without a Node request (app.request)', () => {
  const app = echoApp();
  const call = (body: string, headers: Record<string, string> = {}) =>
    app.request('/echo', { method: 'POST', body, headers });

  it('reads the body and headers through the web Request', async () => {
    const res = await call('\ufeff{"k":1}', { 'x-probe': 'web' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ body: '{"k":1}', probe: 'web' });
  });

  it('applies the same limit', async () => {
    expect((await call('q'.repeat(LIMIT + 1))).status).toBe(413);
    expect((await call('q'.repeat(LIMIT))).status).toBe(200);
  });
});
