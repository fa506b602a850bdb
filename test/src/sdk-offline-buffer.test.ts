import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EdgeClient } from '@edgerec/edge/client/edge-client';
import { FileBufferStorage } from '@edgerec/edge/client/file-buffer-storage';
import { spawnEdgeProcess, type EdgeProcess } from '@edgerec/edge/spawn-edge-process';
import { freePort } from '@edgerec/services/bus';

const running: EdgeProcess[] = [];
afterEach(() => {
  for (const p of running.splice(0)) p.child.kill('SIGKILL');
});

async function startEdge(port: number, db: string): Promise<EdgeProcess> {
  const p = await spawnEdgeProcess(['--id', 'sdk-edge', '--region', 'r0', '--port', String(port), '--db', db, '--items', '50', '--log-level', 'warn']);
  running.push(p);
  return p;
}

async function historyIds(url: string, users: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const u of users) {
    const res = await fetch(`${url}/v1/users/${u}/history`);
    const body = (await res.json()) as { events: { eventId: string }[] };
    ids.push(...body.events.map((e) => e.eventId));
  }
  return ids;
}

describe('client SDK against a real edge process', () => {
  it('keeps events in its persisted buffer across an edge kill -9 and delivers each exactly once after restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgerec-sdk-it-'));
    const port = await freePort();
    const db = join(dir, 'edge.sqlite');
    let edge = await startEdge(port, db);
    const storage = new FileBufferStorage(join(dir, 'kiosk-buffer.json'));
    const pending: (() => void)[] = [];
    const client = await EdgeClient.open({ baseUrl: edge.url, storage, timeoutMs: 1000, setTimer: (fn) => pending.push(fn) });
    const users = ['u1', 'u2', 'u3'];
    const sent: string[] = [];
    for (let i = 0; i < 15; i++) sent.push(await client.track({ user: users[i % 3], item: `i${i}`, type: 'click' }));
    await client.flush();
    expect(client.pending).toBe(0);

    edge.child.kill('SIGKILL');
    await edge.exited;
    for (let i = 15; i < 30; i++) sent.push(await client.track({ user: users[i % 3], item: `i${i}`, type: 'view' }));
    await client.flush();
    expect(client.pending).toBe(15);
    client.close();

    // the kiosk restarts too: its buffer comes back from disk
    edge = await startEdge(port, db);
    const revived = await EdgeClient.open({ baseUrl: edge.url, storage, timeoutMs: 2000 });
    expect(revived.pending).toBe(15);
    await revived.flush();
    expect(revived.pending).toBe(0);

    const stored = await historyIds(edge.url, users);
    expect(stored.sort()).toEqual(sent.slice().sort());
    expect(new Set(stored).size).toBe(stored.length);
  });
});
