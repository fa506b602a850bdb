import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { spawnEdgerec, stopAll, type ManagedProcess } from '@edgerec/central/cli/process-supervisor';
import {
  hasMosquitto, startMosquitto, startMqttFaultProxy,
  type BrokerUser, type MosquittoProcess, type MqttFaultProxy, type MqttFaultProxyOptions, type PublishFaults,
} from '@edgerec/services/bus';
import { decodeSnapshot } from '@edgerec/services/compression';
import { openDatabase, weightsBlob } from '@edgerec/services/store';

/**
 * A real cluster for fault-injection tests: mosquitto (passwords + ACL), one `edgerec central`
 * process and N `edgerec edge` processes, each of them connected to the broker through its
 * own MQTT fault proxy, so a test can drop/duplicate/reorder PUBLISH packets per link, freeze
 * a direction or cut connections, and kill -9 / restart any process on its data. It records
 * every 202-acked event and every deltaId an edge handed out, and checks the invariants:
 * acked events are stored once, central counted each delta once, every edge runs the promoted
 * version with exactly central's weights.
 */

export const mosquittoAvailable = hasMosquitto();

export interface FaultClusterOptions {
  /** names the temp dir and the failure report */
  name: string;
  nodes: readonly string[];
  items: number;
  dim: number;
  /** seed of the proxies' fault draws (each proxy gets seed + its index) */
  seed?: number;
  /** faults every edge's proxy starts with */
  edgeFaults?: { up?: PublishFaults; down?: PublishFaults };
  /** sees every PUBLISH on central's link (e.g. to freeze it at the first model chunk) */
  onCentralPublish?: MqttFaultProxyOptions['onPublish'];
}

/** What an admin sync answered. */
export interface SyncAnswer {
  deltaId: string | null;
  reason?: string;
}

const REQUEST_MS = 15_000;

/** fetch bounded by a timeout, so a hang fails with its URL instead of the whole test. */
export const request = (url: string, init?: RequestInit): Promise<Response> =>
  fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_MS) });


/** Polls `fn` until it returns a truthy value (real state, no fixed sleeps); a thrown error (e.g. a refused request) is no answer. */
export async function poll<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await Promise.resolve().then(fn).catch(() => undefined);
    if (v) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export class FaultCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'edgerec-faults-'));
  broker!: MosquittoProcess;
  centralProxy!: MqttFaultProxy;
  readonly proxies: Record<string, MqttFaultProxy> = {};
  central: ManagedProcess | null = null;
  readonly edges: Record<string, ManagedProcess | null> = {};
  readonly edgeUrl: Record<string, string> = {};
  /** 202-acked eventIds per edge */
  readonly acked: Record<string, Set<string>> = {};
  /** deltaIds that admin syncs created, per edge */
  readonly deltaIds: Record<string, string[]> = {};
  private readonly users: BrokerUser[];
  private readonly steps: string[] = [];
  private readonly t0 = Date.now();
  private nextEvent = 0;

  private constructor(readonly opts: FaultClusterOptions) {
    this.users = [{ username: 'central', password: randomBytes(12).toString('hex'), role: 'central' },
      ...opts.nodes.map((id) => ({ username: id, password: randomBytes(12).toString('hex'), role: 'node' as const }))];
    for (const id of opts.nodes) {
      this.acked[id] = new Set();
      this.deltaIds[id] = [];
    }
  }

  /** Starts broker, proxies, central and every edge; each edge has installed version 1 when it resolves. */
  static async start(opts: FaultClusterOptions): Promise<FaultCluster> {
    const c = new FaultCluster(opts);
    c.step('start broker');
    for (const u of c.users) writeFileSync(c.passwordFile(u.username), u.password, { mode: 0o600 });
    c.broker = await startMosquitto({ dataDir: join(c.dir, 'mosquitto'), users: c.users });
    const seed = opts.seed ?? 1;
    c.centralProxy = await startMqttFaultProxy({ target: c.broker.url, seed, onPublish: opts.onCentralPublish });
    for (const [i, id] of opts.nodes.entries()) {
      c.proxies[id] = await startMqttFaultProxy({ target: c.broker.url, seed: seed + 1 + i, ...opts.edgeFaults });
    }
    c.step('start central');
    await c.startCentral();
    c.step('start edges');
    await Promise.all(opts.nodes.map((id) => c.startEdge(id)));
    c.step('wait v1');
    for (const id of opts.nodes) await c.poll(`${id} on v1`, async () => (await c.modelVersion(id)) >= 1);
    return c;
  }

  /** Records what the test is doing, so a failure says which stage it was in. */
  step(what: string): void {
    this.steps.push(`${Date.now() - this.t0} ms ${what}`);
  }

  poll<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000): Promise<T> {
    return poll(what, fn, timeoutMs);
  }

  passwordFile(user: string): string {
    return join(this.dir, `${user}.password`);
  }

  private get logs(): string {
    return join(this.dir, 'logs');
  }

  async startCentral(): Promise<void> {
    this.central = await spawnEdgerec('central', [
      'central', '--data-dir', join(this.dir, 'central'), '--broker', this.centralProxy.url, '--protocol-version', '5',
      '--username', 'central', '--password-file', this.passwordFile('central'), '--min-nodes', String(this.opts.nodes.length),
      '--round-interval-ms', '300000', '--num-items', String(this.opts.items), '--dim', String(this.opts.dim),
      '--backend', 'typed-array', '--log-level', 'info',
    ], this.logs);
  }

  async startEdge(id: string): Promise<void> {
    const i = this.opts.nodes.indexOf(id);
    const p = await spawnEdgerec(id, [
      'edge', '--id', id, '--region', `r${i}`, '--port', '0', '--db', this.edgeDb(id), '--items', String(this.opts.items),
      '--dim', String(this.opts.dim), '--durability', 'process', '--rate-per-user', '100000', '--log-level', 'info',
      '--broker', this.proxies[id].url, '--mqtt-protocol', '5', '--broker-username', id, '--broker-password-file', this.passwordFile(id),
      '--central-key', join(this.dir, 'central', 'signing-key.pub.pem'),
      // Deltas come from POST /admin/sync (and central's round opens); the interval only backs them up.
      '--sync-interval-ms', '600000', '--status-interval-ms', '1000',
    ], this.logs);
    this.edges[id] = p;
    this.edgeUrl[id] = String(p.ready.url);
  }

  /** kill -9, then waits until the process is gone and its proxy link closed. */
  async kill(which: 'central' | string): Promise<void> {
    const p = which === 'central' ? this.central : this.edges[which];
    if (!p) return;
    p.child.kill('SIGKILL');
    await p.exited;
    const proxy = which === 'central' ? this.centralProxy : this.proxies[which];
    await this.poll(`${which}'s proxy link closed`, () => proxy.openConnections === 0, 10_000);
    if (which === 'central') this.central = null;
    else this.edges[which] = null;
  }

  edgeDb(id: string): string {
    return join(this.dir, `${id}.sqlite`);
  }

  async getJson(url: string): Promise<Record<string, unknown>> {
    const res = await request(url);
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    return (await res.json()) as Record<string, unknown>;
  }

  async modelVersion(id: string): Promise<number> {
    return (await this.getJson(`${this.edgeUrl[id]}/v1/model`)).version as number;
  }

  /** Sum of a Prometheus metric's samples (all label sets) of a running edge. */
  async metric(id: string, name: string, labels = ''): Promise<number> {
    const text = await (await request(`${this.edgeUrl[id]}/metrics`)).text();
    let sum = 0;
    for (const m of text.matchAll(new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`, 'gm'))) if ((m[1] ?? '').includes(labels)) sum += Number(m[2]);
    return sum;
  }

  /** Posts `n` new events to an edge; records them as acked when it answers 202; returns the status. */
  async postEvents(id: string, n: number): Promise<number> {
    const node = this.opts.nodes.indexOf(id);
    const events = Array.from({ length: n }, () => {
      const k = this.nextEvent++;
      return { eventId: `${this.opts.name}-ev-${k}`, user: `u${node}-${k % 13}`, item: `i${(k * 7 + node * 31) % 200}`, type: 'click' };
    });
    const res = await request(`${this.edgeUrl[id]}/v1/events`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events }),
    });
    if (res.status === 202) for (const e of events) this.acked[id].add(e.eventId);
    return res.status;
  }

  /** Posts `n` events (202 expected) and waits until the edge has learned them. */
  async ingest(id: string, n: number): Promise<void> {
    expect(await this.postEvents(id, n)).toBe(202);
    const maxSeq = (await this.getJson(`${this.edgeUrl[id]}/v1/learner`)).maxSeq;
    expect((await this.getJson(`${this.edgeUrl[id]}/v1/learner?waitFor=${maxSeq}&timeoutMs=10000`)).caughtUp).toBe(true);
  }

  /**
   * POST /admin/sync: a delta of what was learned since the last one, published through the
   * edge's proxy. 'nothing to send' is a fine answer too: central's round-open message (e.g.
   * re-published by a restarted central) may have made the edge send its learning just before.
   */
  async adminSync(id: string): Promise<SyncAnswer> {
    const body = (await (await request(`${this.edgeUrl[id]}/admin/sync`, { method: 'POST' })).json()) as SyncAnswer;
    if (body.deltaId) this.deltaIds[id].push(body.deltaId);
    expect(body.deltaId !== null || body.reason === 'nothing to send', `${id} sync: ${body.reason}`).toBe(true);
    return body;
  }

  /** The round central counts deltas into right now (from its SQLite file). */
  openRound(): number | undefined {
    return this.centralDb((db) => (db.prepare("SELECT id FROM rounds WHERE state = 'open' ORDER BY id DESC LIMIT 1").get() as { id: number } | undefined)?.id);
  }

  /** Reads central's SQLite file (read-only, beside the running process). */
  centralDb<T>(fn: (db: ReturnType<typeof openDatabase>) => T): T {
    const db = openDatabase(join(this.dir, 'central', 'central.sqlite'), { readonly: true });
    try {
      return fn(db);
    } finally {
      db.close();
    }
  }

  centralDeltas(): { deltaId: string; node: string; roundId: number | null; status: string }[] {
    return this.centralDb((db) => db.prepare('SELECT delta_id AS deltaId, node_id AS node, round_id AS roundId, status FROM received_deltas').all() as never);
  }

  activeVersion(): number {
    return this.centralDb((db) => JSON.parse((db.prepare("SELECT value FROM kv WHERE key = 'active_version'").get() as { value: string }).value) as number);
  }

  /** Waits until every running edge serves central's active version and drained its outbox. */
  async converged(timeoutMs = 30_000): Promise<number> {
    const v = await this.poll('central active version', () => this.activeVersion(), timeoutMs);
    for (const id of this.opts.nodes) {
      this.step(`wait ${id} on v${v}, outbox drained`);
      await this.poll(`${id} on v${v}`, async () => (await this.modelVersion(id)) === v, timeoutMs);
      await this.poll(`${id} outbox drained`, async () => (await this.metric(id, 'edgerec_outbox_entries')) === 0, timeoutMs);
    }
    return v;
  }

  /**
   * The invariants after every fault: (1) every 202-acked event is in its edge's events table,
   * once; (2) every delta an admin sync created is in central's received_deltas once, counted
   * (maybe late, never rejected), and every aggregated round's delta count equals the rows attributed to
   * it, so none was aggregated twice; (3) every edge holds central's active version with
   * exactly the weights of its registered artifact (a corrupted install would differ).
   */
  async expectInvariants(): Promise<void> {
    this.step('invariants');
    const version = await this.converged();
    const rows = this.centralDeltas();
    const byId = new Map(rows.map((r) => [r.deltaId, r]));
    for (const id of this.opts.nodes) {
      const edb = openDatabase(this.edgeDb(id), { readonly: true });
      try {
        const ids = [...this.acked[id]];
        const stored = edb.prepare(`SELECT event_id AS id, COUNT(*) AS n FROM events WHERE event_id IN (SELECT value FROM json_each(?)) GROUP BY event_id`)
          .all(JSON.stringify(ids)) as { id: string; n: number }[];
        expect(stored.length, `${id}: acked events stored`).toBe(ids.length);
        expect(stored.every((s) => s.n === 1)).toBe(true);
        const m = edb.prepare('SELECT version, num_items AS n, dim, (SELECT weights FROM model_base) AS base FROM model_state').get() as { version: number; n: number; dim: number; base: Buffer };
        expect(m.version, `${id}: stored model version`).toBe(version);
        const artifact = this.centralDb((db) => (db.prepare('SELECT artifact FROM model_registry WHERE version = ?').get(version) as { artifact: Buffer }).artifact);
        expect(Buffer.compare(m.base, weightsBlob(decodeSnapshot(artifact))), `${id}: installed weights are central's v${version}`).toBe(0);
      } finally {
        edb.close();
      }
      expect(await this.metric(id, 'edgerec_model_rejected_total'), `${id}: releases refused`).toBe(0);
      for (const deltaId of this.deltaIds[id]) {
        // 'late': counted with a staleness weight into the round after the one it answered
        expect(byId.get(deltaId), `delta ${deltaId} of ${id}`).toMatchObject({ node: id, status: expect.stringMatching(/^(counted|late)$/) });
      }
    }
    expect(rows.filter((r) => r.status !== 'counted' && r.status !== 'late'), 'rejected deltas').toEqual([]);
    const rounds = this.centralDb((db) => db.prepare("SELECT id, stats FROM rounds WHERE state IN ('aggregated', 'promoted', 'rejected') AND stats IS NOT NULL").all() as { id: number; stats: string }[]);
    for (const r of rounds) {
      const attributed = rows.filter((d) => d.roundId === r.id).length;
      expect((JSON.parse(r.stats) as { deltas?: number }).deltas ?? attributed, `round ${r.id} aggregated each of its deltas once`).toBe(attributed);
    }
  }

  /** Stops everything; keeps the directory (logs, databases) and prints the stages when `passed` is false. */
  async stop(passed: boolean): Promise<void> {
    const procs = [...Object.values(this.edges), this.central].filter((p): p is ManagedProcess => p !== null);
    await stopAll(procs, 5_000);
    await Promise.all([this.centralProxy, ...Object.values(this.proxies)].map((p) => p?.close()));
    await this.broker?.stop();
    if (!passed) console.error(`${this.opts.name} stages:\n${this.steps.join('\n')}\nlogs and databases kept in ${this.dir}`);
    else rmSync(this.dir, { recursive: true, force: true });
  }
}
