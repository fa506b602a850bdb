import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EdgeClient, EdgeClientError } from './edge-client.js';
import { FileBufferStorage } from './file-buffer-storage.js';

type Handler = (url: string, init: RequestInit) => Response | Promise<Response>;

/** A scripted edge: records the eventIds it stored (dedupe by id, as the real edge does). */
function fakeEdge() {
  const stored = new Map<string, number>();
  const state = { down: false, sends: 0 };
  const handler: Handler = (url, init) => {
    if (state.down) throw new TypeError('fetch failed');
    if (url.includes('/v1/events')) {
      state.sends++;
      const { events } = JSON.parse(String(init.body)) as { events: { eventId: string; item: string }[] };
      let accepted = 0;
      let duplicates = 0;
      const rejected: { eventId: string; code: string; message: string }[] = [];
      for (const e of events) {
        if (e.item === 'unknown') rejected.push({ eventId: e.eventId, code: 'unknown_item', message: 'no such item' });
        else if (stored.has(e.eventId)) duplicates++;
        else {
          stored.set(e.eventId, 1);
          accepted++;
        }
      }
      return Response.json({ accepted, duplicates, rejected }, { status: 202 });
    }
    return Response.json({ user: 'u1', modelVersion: 3, coldStart: false, tookMs: 1, items: [{ item: 'i1', score: 1, rank: 1, explore: false }] });
  };
  const fetchImpl = (async (url: string | URL, init?: RequestInit) => handler(String(url), init ?? {})) as typeof fetch;
  return { stored, state, fetchImpl };
}

const manualTimers = () => {
  const pending: (() => void)[] = [];
  return { setTimer: (fn: () => void) => pending.push(fn), fire: () => pending.splice(0).forEach((f) => f()), pending };
};

describe('EdgeClient', () => {
  it('sends tracked events with client-side ids and empties its buffer', async () => {
    const edge = fakeEdge();
    const client = await EdgeClient.open({ baseUrl: 'http://edge', fetch: edge.fetchImpl });
    const id = await client.track({ user: 'u1', item: 'i1', type: 'click' });
    await client.flush();
    expect(edge.stored.has(id)).toBe(true);
    expect(client.pending).toBe(0);
  });

  it('keeps events while the edge is down and drains them once, after restart, from a persisted buffer', async () => {
    const edge = fakeEdge();
    const path = join(mkdtempSync(join(tmpdir(), 'edgerec-sdk-')), 'buffer.json');
    const timers = manualTimers();
    edge.state.down = true;
    const first = await EdgeClient.open({ baseUrl: 'http://edge', fetch: edge.fetchImpl, storage: new FileBufferStorage(path), setTimer: timers.setTimer });
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await first.track({ user: 'u1', item: `i${i}`, type: 'view' }));
    await first.flush();
    expect(first.pending).toBe(5);
    expect(timers.pending.length).toBe(1);
    first.close();
    // the kiosk restarts: a new client restores the buffer from disk
    edge.state.down = false;
    const second = await EdgeClient.open({ baseUrl: 'http://edge', fetch: edge.fetchImpl, storage: new FileBufferStorage(path) });
    expect(second.pending).toBe(5);
    await second.flush();
    expect(second.pending).toBe(0);
    expect([...edge.stored.keys()].sort()).toEqual(ids.sort());
  });

  it('drops events the edge refuses for good and reports them', async () => {
    const edge = fakeEdge();
    const dropped: string[] = [];
    const client = await EdgeClient.open({ baseUrl: 'http://edge', fetch: edge.fetchImpl, onDropped: (r) => dropped.push(...r.map((x) => x.code)) });
    await client.track({ user: 'u1', item: 'unknown', type: 'click' });
    await client.flush();
    expect(client.pending).toBe(0);
    expect(dropped).toEqual(['unknown_item']);
  });

  it('returns typed recommendations and maps error bodies to EdgeClientError', async () => {
    const edge = fakeEdge();
    const client = await EdgeClient.open({ baseUrl: 'http://edge/', fetch: edge.fetchImpl });
    const recs = await client.recommendations({ user: 'u1', k: 1 });
    expect(recs.items[0].item).toBe('i1');
    const failing = await EdgeClient.open({
      baseUrl: 'http://edge',
      fetch: (async () => Response.json({ error: { code: 'invalid_query', message: 'k: too big' } }, { status: 400 })) as typeof fetch,
    });
    await expect(failing.recommendations({ user: 'u1', k: 1000 })).rejects.toMatchObject({ code: 'invalid_query', status: 400 });
  });

  it('times out a hanging edge', async () => {
    const hanging = (async (_u: string | URL, init?: RequestInit) =>
      new Promise<Response>((_, reject) => init?.signal?.addEventListener('abort', () => reject(new Error('aborted'))))) as typeof fetch;
    const client = await EdgeClient.open({ baseUrl: 'http://edge', fetch: hanging, timeoutMs: 20 });
    await expect(client.recommendations({ user: 'u1' })).rejects.toBeInstanceOf(EdgeClientError);
    await expect(client.recommendations({ user: 'u1' })).rejects.toMatchObject({ code: 'timeout' });
  });
});

describe('FileBufferStorage', () => {
  it('keeps the newest snapshot when saves overlap', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'edgerec-sdk-')), 'buffer.json');
    const storage = new FileBufferStorage(path);
    const ev = (i: number) => ({ eventId: `e${i}`, user: 'u', item: 'i', type: 'view' as const });
    await Promise.all([1, 2, 3, 4, 5].map((n) => storage.save(Array.from({ length: n }, (_, i) => ev(i)))));
    expect((await storage.load()).length).toBe(5);
  });
});
