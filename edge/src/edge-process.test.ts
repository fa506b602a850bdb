import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededRandom } from '@edgerec/services/data';
import { openDatabase } from '@edgerec/services/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LearnerStatsBody } from './http-schemas.js';
import { type EdgeProcess, spawnEdgeProcess } from './spawn-edge-process.js';

/**
 * A real edge process on a real SQLite file: ingest over HTTP, kill -9 mid-ingest, restart
 * on the same file. Every acknowledged event must be there exactly once and every stored
 * event learned exactly once.
 */

let dir: string;
const children: EdgeProcess[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgerec-process-'));
});
afterAll(() => {
  for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function startEdge(dbPath: string, extra: string[] = []): Promise<EdgeProcess> {
  const edge = await spawnEdgeProcess([
    '--id', 'edge-it', '--region', 'test', '--port', '0', '--db', dbPath,
    '--items', '100', '--dim', '8', '--rate-per-user', '100000', '--log-level', 'warn', ...extra,
  ]);
  children.push(edge);
  return edge;
}

const batchOf = (b: number, rng: SeededRandom) =>
  Array.from({ length: 10 }, (_, j) => ({
    eventId: `b${b}-${j}`, user: `u${rng.nextInt(20)}`, item: `i${rng.nextInt(100)}`,
    type: (['view', 'click', 'play', 'purchase'] as const)[rng.nextInt(4)],
  }));

async function learnerStats(url: string, waitFor?: number) {
  const q = waitFor === undefined ? '' : `?waitFor=${waitFor}&timeoutMs=20000`;
  return LearnerStatsBody.parse(await (await fetch(`${url}/v1/learner${q}`)).json());
}

describe('edge process', () => {
  it('keeps every acknowledged event exactly once and learns each stored event once across kill -9', async () => {
    const dbPath = join(dir, 'edge.db');
    // No checkpoint during the first run: everything it learned is lost with the process.
    const first = await startEdge(dbPath, ['--checkpoint-events', '1000000000', '--checkpoint-ms', '1000000000']);
    const rng = new SeededRandom(42);
    const acked = new Map<string, string[]>();
    const batches: Record<string, unknown>[][] = [];
    let next = 0;
    let killed = false;
    let enoughAcked!: () => void;
    const reached = new Promise<void>((res) => (enoughAcked = res));
    const sender = async () => {
      while (!killed) {
        const b = next++;
        const events = batchOf(b, rng);
        batches[b] = events;
        try {
          const res = await fetch(`${first.url}/v1/events`, {
            method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events }),
          });
          if (res.status === 202) {
            const body = (await res.json()) as { accepted: number };
            expect(body.accepted).toBe(10);
            acked.set(`b${b}`, events.map((e) => e.eventId));
            if (acked.size >= 60) enoughAcked();
          }
        } catch {
          // connection reset by the kill: this batch may or may not have been committed
        }
      }
    };
    const senders = [sender(), sender(), sender(), sender()];
    await reached; // kill while the four senders still have requests in flight
    first.child.kill('SIGKILL');
    killed = true;
    await Promise.all(senders);
    expect((await first.exited).signal).toBe('SIGKILL');

    const second = await startEdge(dbPath);
    const { maxSeq } = await learnerStats(second.url);
    const stats = await learnerStats(second.url, maxSeq);
    expect(stats.caughtUp).toBe(true);
    expect(stats.startedFromSeq).toBe(0); // the restart had to re-learn everything
    // Re-sending acknowledged batches changes nothing: they are all duplicates now.
    for (const b of [...acked.keys()].slice(0, 5)) {
      const res = await fetch(`${second.url}/v1/events`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events: batches[Number(b.slice(1))] }),
      });
      expect(await res.json()).toEqual({ accepted: 0, duplicates: 10, rejected: [] });
    }
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);

    const db = openDatabase(dbPath, { readonly: true });
    try {
      const stored = new Set(db.prepare('SELECT event_id FROM events').pluck().all() as string[]);
      for (const ids of acked.values()) for (const id of ids) expect(stored.has(id)).toBe(true);
      const log = db.prepare('SELECT COUNT(*) AS n, SUM(seq) AS sum, MAX(seq) AS max FROM events').get() as { n: number; sum: number; max: number };
      expect(log.n).toBeGreaterThanOrEqual(acked.size * 10);
      expect(log.n % 10).toBe(0); // batches commit whole or not at all
      const state = db.prepare('SELECT applied_seq, applied_count, applied_seq_sum FROM model_state').get();
      expect(state).toEqual({ applied_seq: log.max, applied_count: log.n, applied_seq_sum: log.sum });
      expect(stats).toMatchObject({ appliedCount: log.n, appliedSeqSum: log.sum });
    } finally {
      db.close();
    }
  }, 90_000);
});
