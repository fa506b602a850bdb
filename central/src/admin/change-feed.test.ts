import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminHarness, HARNESS_TOKENS } from './admin-harness.js';
import { ChangeFeed, probeChanges, type ChangeEvent } from './change-feed.js';

let a: AdminHarness;
beforeAll(async () => {
  a = await AdminHarness.start({ policy: { minNodes: 1 }, edges: [{ id: 'edge-a', region: '1' }, { id: 'edge-b', region: '2' }] });
});
afterAll(() => a.cleanup());

describe('change feed', () => {
  it('reports what changed in SQLite between probes, and only that', async () => {
    const feed = new ChangeFeed(probeChanges(a.central.store.db), { intervalMs: 60_000 });
    const seen: ChangeEvent[] = [];
    const off = feed.subscribe((e) => seen.push(e));
    feed.tick();
    expect(seen).toEqual([]);
    a.central.store.nodes.setPaused('edge-a', true);
    feed.tick();
    expect(seen.map((e) => e.kind)).toEqual(['node']);
    await a.delta('edge-a', 1);
    await a.delta('edge-b', 2);
    await a.central.idle();
    feed.tick();
    expect(new Set(seen.slice(1).map((e) => e.kind))).toEqual(new Set(['round', 'node', 'model']));
    off();
    expect(feed.listenerCount).toBe(0);
  });

  it('GET /admin/events streams a hello and then a change event after an admin action', async () => {
    const ctrl = new AbortController();
    const res = await a.app.request('/admin/events', { headers: { authorization: `Bearer ${HARNESS_TOKENS.viewer}` }, signal: ctrl.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${pattern}: ${text}`);
        text += decoder.decode(value, { stream: true });
      }
    };
    await readUntil(/event: hello/);
    await a.request('POST', '/admin/nodes/edge-b/pause', { body: {} });
    await readUntil(/event: change\ndata: \{"kind":"node"/);
    ctrl.abort();
    await reader.cancel().catch(() => undefined);
  });
});
