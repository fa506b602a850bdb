import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startIngestPoster } from './ingest-poster.js';

interface Posted {
  events: { eventId: string; user: string; item: string; type: string }[];
}

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server?.listening ? server.close(() => r()) : r())));

/**
 * A stand-in for the edge's POST /v1/events: records each batch and answers `status` (202:
 * with `accepted` = its size) once `hold` resolved.
 */
function listen(status = 202, hold: Promise<void> = Promise.resolve()): Promise<{ url: string; posts: Posted[] }> {
  const posts: Posted[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const batch = JSON.parse(body) as Posted;
      posts.push(batch);
      void hold.then(() => res.writeHead(status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ accepted: batch.events.length, duplicates: 0, rejected: [] })));
    });
  });
  return new Promise((r) => server!.listen(0, '127.0.0.1', () => r({ url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, posts })));
}

/** An `onSettled` hook and a promise that resolves once `n` posts settled. */
function settledPosts(n: number) {
  let count = 0;
  let release!: () => void;
  const reached = new Promise<void>((r) => (release = r));
  return { reached, onSettled: () => ++count === n && release() };
}

describe('startIngestPoster', () => {
  it('posts batches of eventsPerSecond × tickMs events with unique ids and counts what the edge accepted', async () => {
    const { url, posts } = await listen();
    const gate = settledPosts(5);
    const poster = startIngestPoster({
      url, eventsPerSecond: 500, tickMs: 20, items: 50, users: 7, seed: 3, eventIdPrefix: 't', onSettled: gate.onSettled,
    });
    await gate.reached;
    const r = await poster.stop();
    const events = posts.flatMap((p) => p.events);
    expect(posts.length).toBeGreaterThanOrEqual(5);
    expect(posts.every((p) => p.events.length === 10)).toBe(true);
    expect(r).toMatchObject({ posts: posts.length, accepted: events.length, failed: 0 });
    expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
    expect(events.every((e) => /^t-\d+$/.test(e.eventId) && /^u[0-6]$/.test(e.user) && Number(e.item.slice(1)) < 50)).toBe(true);
    expect(r.client.eld_max_ms).toBeGreaterThanOrEqual(r.client.eld_p50_ms);
  });

  it('waits for the answers to posts in flight before it reports', async () => {
    let answer!: () => void;
    const { url, posts } = await listen(202, new Promise<void>((r) => (answer = r)));
    let sent!: () => void;
    const firstSent = new Promise<void>((r) => (sent = r));
    server!.on('request', () => sent());
    const poster = startIngestPoster({ url, eventsPerSecond: 100, tickMs: 10, items: 5, users: 2 });
    await firstSent;
    const stopped = poster.stop(); // every post so far is still unanswered
    answer();
    const r = await stopped;
    expect(r.posts).toBeGreaterThan(0);
    expect(r.accepted).toBe(posts.flatMap((p) => p.events).length);
  });

  it('counts refused posts and unreachable edges as failed', async () => {
    const { url } = await listen(503);
    const gate = settledPosts(2);
    const refused = startIngestPoster({ url, eventsPerSecond: 100, tickMs: 10, items: 5, users: 2, onSettled: gate.onSettled });
    await gate.reached;
    const r = await refused.stop();
    expect(r.accepted).toBe(0);
    expect(r.failed).toBe(r.posts);
    await new Promise<void>((res) => server!.close(() => res()));
    const gone = settledPosts(2);
    const unreachable = startIngestPoster({ url, eventsPerSecond: 100, tickMs: 10, items: 5, users: 2, onSettled: gone.onSettled });
    await gone.reached;
    const g = await unreachable.stop();
    expect(g.failed).toBe(g.posts);
    expect(g.accepted).toBe(0);
  });

  it('posts nothing at 0 events/s', async () => {
    const { url, posts } = await listen();
    const r = await startIngestPoster({ url, eventsPerSecond: 0, items: 5, users: 2 }).stop();
    expect(r).toMatchObject({ accepted: 0, failed: 0, posts: 0 });
    expect(posts).toEqual([]);
  });
});
