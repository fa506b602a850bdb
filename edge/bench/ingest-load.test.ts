import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startIngestLoad } from './ingest-load.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** Stand-in edge: answers 202 to every batch; `received` counts events, `firstPost` resolves on the first. */
function listen() {
  const state = { received: 0, pids: new Set<number>() };
  let first!: () => void;
  const firstPost = new Promise<void>((r) => (first = r));
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const n = (JSON.parse(body) as { events: unknown[] }).events.length;
      state.received += n;
      res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: n, duplicates: 0, rejected: [] }));
      first();
    });
  });
  return new Promise<{ url: string; state: typeof state; firstPost: Promise<void> }>((r) =>
    server!.listen(0, '127.0.0.1', () => r({ url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, state, firstPost })));
}

describe('startIngestLoad', () => {
  it('posts from a process of its own and reports what the edge accepted and what the poster cost', async () => {
    const { url, state, firstPost } = await listen();
    const load = await startIngestLoad({ url, eventsPerSecond: 500, items: 100, users: 10, seed: 5 });
    expect(load.pid).toBeGreaterThan(0);
    expect(load.pid).not.toBe(process.pid);
    await firstPost;
    const r = await load.stop();
    expect(r.accepted).toBe(state.received);
    expect(r.accepted).toBeGreaterThan(0);
    expect(r.failed).toBe(0);
    expect(r.client.eld_p99_ms).toBeGreaterThan(0);
    expect(r.client.cpu_cores).toBeGreaterThan(0);
  });

  it('rejects when the poster cannot start', async () => {
    await expect(startIngestLoad({ url: 'not a url', eventsPerSecond: 1, items: 1, users: 1 })).rejects.toThrow(/exited/);
  });
});
