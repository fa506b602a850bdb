import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');

interface Ready {
  event: 'ready';
  central: string;
  operatorToken: string;
  edges: Record<string, string>;
}

/** Polls `probe` until it returns a value or `timeoutMs` passes. */
async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

describe('edgerec start (what npm start runs)', () => {
  it('brings up broker, central, three edges and the simulator; the admin API shows 3 online edges and a completed round; SIGTERM stops everything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgerec-demo-'));
    const child = spawn(
      process.execPath,
      [join(root, 'bin/edgerec.js'), 'start', '--data-dir', dir, '--base-port', '0', '--round-interval-ms', '4000', '--sync-interval-ms', '2000', '--rate', '150', '--items', '400', '--users', '200'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const ready = await new Promise<Ready>((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', (line) => {
          try {
            const msg = JSON.parse(line) as { event?: string };
            if (msg.event === 'ready') resolve(msg as Ready);
          } catch {
            /* not JSON */
          }
        });
        void exited.then((code) => reject(new Error(`start exited with ${code}: ${stderr}`)));
      });
      expect(Object.keys(ready.edges)).toEqual(['r0', 'r1', 'r2']);
      const admin = async <T>(path: string): Promise<T> => {
        const res = await fetch(`${ready.central}${path}`, { headers: { authorization: `Bearer ${ready.operatorToken}` } });
        if (!res.ok) throw new Error(`${path}: ${res.status}`);
        return (await res.json()) as T;
      };
      const nodes = await until(async () => {
        const { nodes } = await admin<{ nodes: { nodeId?: string; online: boolean }[] }>('/admin/nodes');
        return nodes.filter((n) => n.online).length === 3 ? nodes : undefined;
      }, 60_000, '3 online edges');
      expect(nodes.length).toBe(3);
      const round = await until(async () => {
        const { rounds } = await admin<{ rounds: { state: string; participants: number }[] }>('/admin/rounds');
        return rounds.find((r) => r.state === 'promoted');
      }, 60_000, 'a promoted round');
      expect(round.participants).toBeGreaterThanOrEqual(2);
      const edgeModel = await until(async () => {
        const res = await fetch(`${ready.edges.r0}/v1/model`);
        const m = (await res.json()) as { version: number };
        return m.version > 1 ? m : undefined;
      }, 30_000, 'edge r0 to serve a promoted model');
      expect(edgeModel.version).toBeGreaterThan(1);
    } finally {
      child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 20_000))]);
      if (code === 'hung') child.kill('SIGKILL');
      expect(code).toBe(0);
    }
  }, 180_000);
});
