import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openLoopLoad } from './open-loop-load.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** A server that answers `/slow` after `delayMs` and `/fail` with 500. */
function listen(delayMs: number): Promise<string> {
  server = createServer((req, res) => {
    if (req.url === '/fail') return res.writeHead(500).end();
    const answer = () => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    if (req.url === '/slow') setTimeout(answer, delayMs);
    else answer();
  });
  return new Promise((r) => server!.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(server!.address() as AddressInfo).port}`)));
}

describe('openLoopLoad', () => {
  it('sends rate × seconds requests whatever the server does and counts its delays in the latency', async () => {
    const url = await listen(40);
    // Every 10th request is slow: p99 must include those 40 ms, and the rest are not held back by them.
    const r = await openLoopLoad({ url, path: (i) => (i % 10 === 0 ? '/slow' : '/fast'), rate: 200, seconds: 1, seed: 3 });
    expect(r.errors).toBe(0);
    expect(r.non2xx).toBe(0);
    expect(r.p99_ms).toBeGreaterThanOrEqual(40);
    expect(r.max_ms).toBeGreaterThanOrEqual(r.p99_ms);
    expect(r.p50_ms).toBeLessThan(r.p99_ms);
    expect(r.arrivals).toBe('poisson');
  });

  it('counts non-2xx answers and unreachable servers', async () => {
    const url = await listen(0);
    const r = await openLoopLoad({ url, path: () => '/fail', rate: 100, seconds: 0.2 });
    expect(r.non2xx).toBe(20);
    const gone = await openLoopLoad({ url: 'http://127.0.0.1:1', path: () => '/', rate: 100, seconds: 0.1 });
    expect(gone.errors).toBe(10);
  });
});
