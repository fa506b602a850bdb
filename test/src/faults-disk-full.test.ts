import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CentralHarness } from '@edgerec/central';
import { spawnEdgerec, stopAll, type ManagedProcess } from '@edgerec/central/cli/process-supervisor';
import { encode, topics, type RoundControlMsg } from '@edgerec/proto-schemas';
import { pino } from 'pino';
import { openDatabase } from '@edgerec/services/store';
import { request } from './fault-cluster-fixture.js';
import { SyncEdge, until } from './sync-edge-fixture.js';

/**
 * A full disk, simulated with the edge's size cap (`--max-db-mb`, SQLite max_page_count, the
 * same SQLITE_FULL a full disk gives): the edge refuses events with a clear 507, keeps serving
 * recommendations, stores nothing of a refused batch, survives kill -9 with an intact file and
 * takes the refused batch once restarted with room. And central's fire-and-forget `sync-now`
 * reaching an edge whose database is full must not take the edge down.
 */

const dir = mkdtempSync(join(tmpdir(), 'edgerec-disk-full-'));
const db = join(dir, 'edge.sqlite');
const procs: ManagedProcess[] = [];
let passed = false;

afterAll(async () => {
  await stopAll(procs, 5_000);
  if (!passed) console.error(`disk-full test: logs and database kept in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
});

async function startEdge(maxDbMb: number): Promise<{ p: ManagedProcess; url: string }> {
  const p = await spawnEdgerec('edge', [
    'edge', '--id', 'edge-full', '--region', 'r1', '--port', '0', '--db', db, '--items', '200', '--dim', '16',
    '--durability', 'process', '--rate-per-user', '100000', '--max-db-mb', String(maxDbMb), '--log-level', 'warn',
  ], join(dir, 'logs'));
  procs.push(p);
  return { p, url: String(p.ready.url) };
}

let next = 0;
const batch = (n: number) => Array.from({ length: n }, () => {
  const k = next++;
  return { eventId: `full-ev-${k}-${'x'.repeat(40)}`, user: `user-${k % 50}`, item: `i${(k * 7) % 200}`, type: 'click' };
});
const post = (url: string, events: ReturnType<typeof batch>) =>
  request(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events }) });

function storedIds(ids: string[]): number {
  const d = openDatabase(db, { readonly: true });
  try {
    return (d.prepare('SELECT COUNT(*) AS n FROM events WHERE event_id IN (SELECT value FROM json_each(?))').get(JSON.stringify(ids)) as { n: number }).n;
  } finally {
    d.close();
  }
}

describe('faults: disk full', () => {
  it('answers 507 storage_full, keeps serving, stores nothing partial, and recovers with room', async () => {
    let edge = await startEdge(1);
    const acked: string[] = [];
    let refused: { events: ReturnType<typeof batch>; res: Response } | null = null;
    for (let i = 0; i < 100 && !refused; i++) {
      const events = batch(500);
      const res = await post(edge.url, events);
      if (res.status === 202) acked.push(...events.map((e) => e.eventId));
      else refused = { events, res };
    }
    expect(refused, 'the 1 MB cap was reached').not.toBeNull();
    expect(refused!.res.status).toBe(507);
    expect(await refused!.res.json()).toEqual({ error: { code: 'storage_full', message: expect.any(String) } });
    expect(acked.length).toBeGreaterThan(0);

    // Serving goes on from memory and the file; nothing of the refused batch was stored.
    const recs = await request(`${edge.url}/v1/recommendations?user=user-1&k=5`);
    expect(recs.status).toBe(200);
    expect(((await recs.json()) as { items: unknown[] }).items.length).toBeGreaterThan(0);
    const refusedIds = refused!.events.map((e) => e.eventId);
    expect(storedIds(refusedIds)).toBe(0);
    expect(storedIds(acked)).toBe(acked.length);

    // kill -9 while full: the file is intact, every acked event is there.
    edge.p.child.kill('SIGKILL');
    await edge.p.exited;
    const check = openDatabase(db, { readonly: true });
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    check.close();
    expect(storedIds(acked)).toBe(acked.length);

    // With room again the refused batch goes in, once.
    edge = await startEdge(8);
    expect((await post(edge.url, refused!.events)).status).toBe(202);
    expect(storedIds(refusedIds)).toBe(refusedIds.length);
    expect(storedIds(acked)).toBe(acked.length);
    passed = true;
  }, 60_000);

  it("survives central's sync-now while its database is full, and sends the delta once there is room", async () => {
    const h = await CentralHarness.start({ policy: { minNodes: 1 } });
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => void unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    const errors: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => void errors.push(line) });
    const edge = await SyncEdge.start(h, 'edge-full', { logger });
    try {
      await edge.sync.waitForVersion(1);
      await edge.learn(30);
      // The outbox write fails as on a full disk (a real cap would leave room in half-full pages).
      const outbox = edge.edb.outbox;
      const add = outbox.add.bind(outbox);
      outbox.add = () => {
        throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      };
      const syncNow: RoundControlMsg = { v: 1, type: 'sync-now' };
      await h.central.transport.publish(topics.controlRounds(), encode(syncNow));
      await until(() => unhandled.length + errors.length > 0, 10_000, 'the sync-now attempt failing');
      expect(unhandled).toEqual([]);
      expect(errors.join('')).toMatch(/database or disk is full/);
      expect(edge.edb.outbox.stats().entries).toBe(0);
      // Room again: the next sync-now sends what was learned, and central counts it.
      outbox.add = add;
      await h.central.transport.publish(topics.controlRounds(), encode(syncNow));
      await until(() => h.central.store.deltas.intake(h.central.rounds.currentRound?.id ?? 1).deltas > 0 || h.central.activeVersion() > 1, 10_000, 'delta at central');
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await edge.close();
      await h.cleanup();
    }
  });
});
