import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { rawHttpPool } from './raw-http-pool.js';

const servers: (Server | NetServer)[] = [];
const pools: ReturnType<typeof rawHttpPool>[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) p.close();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

const urlOf = (s: Server | NetServer) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
const listening = <S extends Server | NetServer>(s: S) => new Promise<S>((r) => {
  servers.push(s);
  s.listen(0, '127.0.0.1', () => r(s));
});
const poolOf = (url: string, max: number) => {
  const p = rawHttpPool(url, max);
  pools.push(p);
  return p;
};
const get = (pool: ReturnType<typeof rawHttpPool>, path: string) => new Promise<number>((r) => pool.get(path, r));

/**
 * A raw server that answers each request (one per blank line) with `reply(n)`, written in
 * pieces of `piece` bytes (0: at once), so framing split anywhere is exercised.
 */
function rawServer(reply: (n: number) => string, piece = 0) {
  const sockets = new Set<Socket>();
  let n = 0;
  const server = createNetServer((sock) => {
    sockets.add(sock);
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
        buf = buf.slice(end + 4);
        const text = reply(++n);
        if (piece === 0) sock.write(text);
        else for (let i = 0; i < text.length; i += piece) sock.write(text.slice(i, i + piece));
      }
    });
    sock.on('close', () => sockets.delete(sock));
  });
  return { server, sockets };
}

describe('rawHttpPool', () => {
  it('reads Content-Length and chunked answers, with and without trailers, split at every byte', async () => {
    const replies = [
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello',
      'HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n',
      'HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nX-Trailer: 1\r\n\r\n',
      'HTTP/1.1 204 No Content\r\n\r\n',
    ];
    const { server, sockets } = rawServer((n) => replies[(n - 1) % replies.length], 1);
    const pool = poolOf(urlOf(await listening(server)), 1);
    const statuses = [];
    for (let i = 0; i < 8; i++) statuses.push(await get(pool, `/r${i}`));
    expect(statuses).toEqual([200, 404, 201, 204, 200, 404, 201, 204]);
    expect(sockets.size).toBe(1); // one keep-alive socket carried them all
  });

  it('opens at most maxConnections sockets and queues the rest', async () => {
    const { server, sockets } = rawServer(() => 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    let peak = 0;
    server.on('connection', () => (peak = Math.max(peak, sockets.size)));
    const pool = poolOf(urlOf(await listening(server)), 3);
    const all = await Promise.all(Array.from({ length: 20 }, (_, i) => get(pool, `/q${i}`)));
    expect(all).toEqual(Array(20).fill(200));
    expect(peak).toBeLessThanOrEqual(3);
  });

  it('works against a Node http server (chunked by default) and does not reuse a socket the server closes', async () => {
    let connections = 0;
    const server = createHttpServer((req, res) => {
      if (req.url === '/close') res.setHeader('Connection', 'close');
      res.writeHead(req.url === '/fail' ? 500 : 200, { 'content-type': 'text/plain' }).end('body');
    });
    server.on('connection', () => connections++);
    const pool = poolOf(urlOf(await listening(server)), 1);
    expect(await get(pool, '/a')).toBe(200);
    expect(await get(pool, '/fail')).toBe(500);
    expect(await get(pool, '/close')).toBe(200);
    expect(await get(pool, '/b')).toBe(200);
    expect(connections).toBe(2);
  });

  it('fails requests with 0 when the server is unreachable or the pool is closed', async () => {
    const gone = poolOf('http://127.0.0.1:1', 2);
    expect(await Promise.all(Array.from({ length: 5 }, () => get(gone, '/')))).toEqual([0, 0, 0, 0, 0]);
    const { server } = rawServer(() => ''); // never answers
    const pool = poolOf(urlOf(await listening(server)), 1);
    const inFlight = get(pool, '/never');
    const queued = get(pool, '/queued');
    pool.close();
    expect(await Promise.all([inFlight, queued])).toEqual([0, 0]);
    expect(await get(pool, '/after')).toBe(0);
  });
});
