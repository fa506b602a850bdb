import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DomainError } from '@edgerec/proto-schemas';
import { freePort, hasMosquitto, startMosquitto, type BrokerUser, type MosquittoProcess } from '@edgerec/services/bus';
import { spawnEdgerec, stopAll, type ManagedProcess } from '../src/cli/process-supervisor.js';
import { getJson, pollUntil } from './cluster-probes.js';

export type BrokerKind = 'embedded' | 'mosquitto';

export interface LoopbackClusterOptions {
  edges: number;
  items: number;
  dim: number;
  /** embedded: `edgerec broker` (aedes, MQTT 3.1.1); mosquitto: the real binary, MQTT 5 */
  broker: BrokerKind;
  /** central's round deadline (`--round-interval-ms`) */
  roundIntervalMs: number;
  /** least time between round openings (`--min-round-interval-ms`, default 0) */
  minRoundIntervalMs?: number;
  /** edges' interval trigger (`--sync-interval-ms`) */
  syncIntervalMs: number;
  /** central `--min-nodes` (default: every edge) */
  minNodes?: number;
  /** extra `edgerec edge` flags, e.g. ['--rate-per-user', '1000'] */
  edgeArgs?: string[];
  logLevel?: 'info' | 'warn';
  /** parent of the temp dir (default os.tmpdir()) */
  parentDir?: string;
}

export interface ClusterProcess {
  name: string;
  pid: number;
}

export interface ClusterEdge extends ClusterProcess {
  id: string;
  region: string;
  url: string;
  dbPath: string;
}

export interface LoopbackCluster {
  dir: string;
  logDir: string;
  broker: ClusterProcess & { kind: BrokerKind; url: string; protocol: 4 | 5 };
  central: ClusterProcess & { url: string; dbPath: string; token: string };
  edges: ClusterEdge[];
  /** every process of the cluster, for memory sampling */
  processes(): ClusterProcess[];
  /** GET on central's admin API with the operator token */
  admin<T>(path: string, init?: RequestInit): Promise<T>;
  /** stops every process; removes the temp dir unless `keepDir` (logs stay for a failed run) */
  stop(opts?: { keepDir?: boolean }): Promise<void>;
}

/**
 * The system as `edgerec start` runs it, on loopback, for benchmarks: a broker, one
 * `edgerec central` (admin API on a free port, typed-array backend) and N `edgerec edge`
 * processes with real SQLite files in a temp dir, broker accounts and ACLs. Resolves once
 * every edge serves central's first signed version and central sees every edge online, so
 * a round's close rule ("every expected node reported") waits for all of them.
 *
 * @example
 * const c = await startLoopbackCluster({ edges: 3, items: 400, dim: 16, broker: 'embedded', roundIntervalMs: 600_000, syncIntervalMs: 600_000 });
 * await fetch(`${c.edges[0].url}/v1/model`);
 * await c.stop();
 */
export async function startLoopbackCluster(opts: LoopbackClusterOptions): Promise<LoopbackCluster> {
  if (opts.broker === 'mosquitto' && !hasMosquitto()) {
    throw new DomainError('bad_flag', 400, 'broker mosquitto: no mosquitto binary (apt-get install -y mosquitto, or set MOSQUITTO_BIN)');
  }
  const dir = mkdtempSync(join(opts.parentDir ?? tmpdir(), 'edgerec-bench-'));
  const logDir = join(dir, 'logs');
  const secrets = join(dir, 'secrets');
  mkdirSync(secrets, { recursive: true, mode: 0o700 });
  const ids = Array.from({ length: opts.edges }, (_, i) => `edge-r${i}`);
  const account = (username: string, role: 'central' | 'node'): BrokerUser => ({ username, role, password: randomBytes(18).toString('base64url') });
  const users = [account('central', 'central'), ...ids.map((id) => account(id, 'node'))];
  const secretFile = (user: string) => join(secrets, `${user}.password`);
  for (const u of users) writeFileSync(secretFile(u.username), u.password, { mode: 0o600 });
  const usersFile = join(secrets, 'broker-users.json');
  writeFileSync(usersFile, JSON.stringify(users), { mode: 0o600 });
  const token = randomBytes(24).toString('base64url');
  const tokensFile = join(secrets, 'admin-tokens.json');
  writeFileSync(tokensFile, JSON.stringify([{ token, role: 'operator', name: 'bench' }]), { mode: 0o600 });

  const procs: ManagedProcess[] = [];
  let mosquitto: MosquittoProcess | null = null;
  const stopEverything = async (keepDir: boolean) => {
    // Clients before the broker, so nothing logs a lost connection on the way down.
    const [edgeProcs, rest] = [procs.filter((p) => p.name.startsWith('edge-')), procs.filter((p) => !p.name.startsWith('edge-'))];
    await stopAll(edgeProcs, 5_000);
    for (const p of rest.reverse()) await stopAll([p], 5_000);
    await mosquitto?.stop();
    if (!keepDir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const protocol: 4 | 5 = opts.broker === 'embedded' ? 4 : 5;
    let brokerProc: ClusterProcess & { url: string };
    if (opts.broker === 'embedded') {
      const b = await spawnEdgerec('broker', ['broker', '--port', String(await freePort()), '--users-file', usersFile], logDir);
      procs.push(b);
      brokerProc = { name: 'broker', pid: b.child.pid!, url: String(b.ready.url) };
    } else {
      mosquitto = await startMosquitto({ dataDir: join(dir, 'mosquitto'), users });
      brokerProc = { name: 'broker', pid: mosquitto.pid, url: mosquitto.url };
    }
    const level = opts.logLevel ?? 'info';
    const centralDir = join(dir, 'central');
    const central = await spawnEdgerec('central', [
      'central', '--data-dir', centralDir, '--broker', brokerProc.url, '--protocol-version', String(protocol),
      '--username', 'central', '--password-file', secretFile('central'), '--port', '0', '--admin-tokens', tokensFile,
      '--min-nodes', String(opts.minNodes ?? opts.edges), '--round-interval-ms', String(opts.roundIntervalMs),
      '--min-round-interval-ms', String(opts.minRoundIntervalMs ?? 0),
      '--num-items', String(opts.items), '--dim', String(opts.dim), '--backend', 'typed-array', '--log-level', level,
    ], logDir);
    procs.push(central);
    const edges = await Promise.all(ids.map(async (id, i): Promise<ClusterEdge> => {
      const dbPath = join(dir, `${id}.sqlite`);
      const p = await spawnEdgerec(id, [
        'edge', '--id', id, '--region', `r${i}`, '--port', '0', '--db', dbPath, '--items', String(opts.items),
        '--dim', String(opts.dim), '--log-level', level, '--broker', brokerProc.url, '--mqtt-protocol', String(protocol),
        '--broker-username', id, '--broker-password-file', secretFile(id), '--central-key', join(centralDir, 'signing-key.pub.pem'),
        '--sync-interval-ms', String(opts.syncIntervalMs), ...(opts.edgeArgs ?? []),
      ], logDir);
      procs.push(p);
      return { name: id, id, region: `r${i}`, pid: p.child.pid!, url: String(p.ready.url), dbPath };
    }));
    const centralUrl = String(central.ready.url);
    const admin = <T>(path: string, init?: RequestInit) =>
      getJson<T>(`${centralUrl}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...init?.headers } });
    const cluster: LoopbackCluster = {
      dir, logDir,
      broker: { ...brokerProc, kind: opts.broker, protocol },
      central: { name: 'central', pid: central.child.pid!, url: centralUrl, dbPath: join(centralDir, 'central.sqlite'), token },
      edges,
      processes: () => [{ name: 'broker', pid: mosquitto?.pid ?? brokerProc.pid }, { name: 'central', pid: central.child.pid! }, ...edges],
      admin,
      stop: (o) => stopEverything(o?.keepDir === true),
    };
    await pollUntil('every edge on version ≥ 1', async () => {
      const versions = await Promise.all(edges.map((e) => getJson<{ version: number }>(`${e.url}/v1/model`)));
      return versions.every((m) => m.version >= 1);
    }, { everyMs: 50, timeoutMs: 60_000 });
    await pollUntil(`central sees ${opts.edges} edges online`, async () => {
      const { nodes } = await admin<{ nodes: { online: boolean }[] }>('/admin/nodes');
      return nodes.filter((n) => n.online).length >= opts.edges;
    }, { everyMs: 50, timeoutMs: 60_000 });
    return cluster;
  } catch (e) {
    await stopEverything(true);
    if (e instanceof Error) e.message += ` (logs kept in ${logDir})`;
    throw e;
  }
}
