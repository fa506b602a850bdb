import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { freePort } from '@edgerec/services/bus';
import { parseFlags } from './parse-flags.js';
import { spawnEdgerec, stopAll, type ManagedProcess } from './process-supervisor.js';
import { waitForShutdown } from './wait-for-shutdown.js';
import type { CliIo } from './main.js';

const StartFlags = z.object({
  'data-dir': z.string().min(1).default('.data/demo'),
  /** first port: central admin on it, edges on the next ones; 0 = pick free ports */
  'base-port': z.coerce.number().int().min(0).max(65000).default(8080),
  'broker-port': z.coerce.number().int().min(0).max(65535).default(0),
  edges: z.coerce.number().int().min(1).max(16).default(3),
  items: z.coerce.number().int().min(10).max(1_000_000).default(1682),
  users: z.coerce.number().int().min(10).max(1_000_000).default(943),
  rate: z.coerce.number().min(0).max(100_000).default(100),
  'round-interval-ms': z.coerce.number().int().min(1000).default(15_000),
  'min-round-interval-ms': z.coerce.number().int().min(0).default(5_000),
  'sync-interval-ms': z.coerce.number().int().min(500).default(10_000),
  fresh: z.boolean().default(false),
  'no-simulator': z.boolean().default(false),
});

export const startUsage = `edgerec start [--data-dir .data/demo] [--base-port 8080] [--broker-port 0] [--edges 3]
             [--items 1682] [--users 943] [--rate 100] [--round-interval-ms 15000] [--min-round-interval-ms 5000]
             [--sync-interval-ms 10000]
             [--fresh] [--no-simulator]`;

interface DemoLayout {
  dir: string;
  logDir: string;
  usersFile: string;
  adminTokens: string;
  operatorToken: string;
  centralDir: string;
  signingKey: string;
  publicKey: string;
  secretFile: (user: string) => string;
}

/** Broker accounts with random passwords, files 0600, and central's signing key pair. */
function prepareDemo(dir: string, nodeIds: string[]): DemoLayout {
  const centralDir = join(dir, 'central');
  const secrets = join(dir, 'secrets');
  mkdirSync(centralDir, { recursive: true });
  mkdirSync(secrets, { recursive: true, mode: 0o700 });
  const operatorToken = randomBytes(24).toString('base64url');
  const layout: DemoLayout = {
    dir,
    logDir: join(dir, 'logs'),
    usersFile: join(secrets, 'broker-users.json'),
    adminTokens: join(secrets, 'admin-tokens.json'),
    operatorToken,
    centralDir,
    signingKey: join(centralDir, 'signing-key.pem'),
    publicKey: join(centralDir, 'signing-key.pub.pem'),
    secretFile: (user) => join(secrets, `${user}.password`),
  };
  const users = [{ username: 'central', role: 'central' }, ...nodeIds.map((id) => ({ username: id, role: 'node' }))].map((u) => {
    const password = randomBytes(18).toString('base64url');
    writeFileSync(layout.secretFile(u.username), password, { mode: 0o600 });
    return { ...u, password };
  });
  writeFileSync(layout.usersFile, JSON.stringify(users), { mode: 0o600 });
  writeFileSync(layout.adminTokens, JSON.stringify([{ token: operatorToken, role: 'operator', name: 'demo-operator' }]), { mode: 0o600 });
  if (!existsSync(layout.signingKey)) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    writeFileSync(layout.signingKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(layout.publicKey, publicKey.export({ type: 'spki', format: 'pem' }));
  }
  return layout;
}

const portOr = async (base: number, offset: number): Promise<number> => (base === 0 ? freePort() : base + offset);

/**
 * `edgerec start`: the whole system on loopback as real processes — embedded broker,
 * central, N regional edges and the kiosk fleet simulator — printing the URLs. Ctrl-C
 * (SIGINT/SIGTERM) stops them in reverse order.
 */
export async function startCommand(argv: string[], io: CliIo, opts: { signal?: AbortSignal } = {}): Promise<number> {
  const flagNames = ['data-dir', 'base-port', 'broker-port', 'edges', 'items', 'users', 'rate', 'round-interval-ms', 'min-round-interval-ms', 'sync-interval-ms'];
  const f = parseFlags(
    argv,
    {
      ...Object.fromEntries(flagNames.map((k) => [k, { type: 'string' as const }])),
      fresh: { type: 'boolean' },
      'no-simulator': { type: 'boolean' },
    },
    StartFlags,
  );
  const dir = resolve(f['data-dir']);
  if (f.fresh) rmSync(dir, { recursive: true, force: true });
  const regions = Array.from({ length: f.edges }, (_, i) => `r${i}`);
  const nodeIds = regions.map((r) => `edge-${r}`);
  const layout = prepareDemo(dir, nodeIds);
  const procs: ManagedProcess[] = [];
  const say = (msg: Record<string, unknown>) => io.out.write(`${JSON.stringify(msg)}\n`);
  try {
    const brokerPort = f['broker-port'] === 0 ? await freePort() : f['broker-port'];
    const broker = await spawnEdgerec('broker', ['broker', '--port', String(brokerPort), '--users-file', layout.usersFile], layout.logDir);
    procs.push(broker);
    const brokerUrl = String(broker.ready.url);
    const centralPort = await portOr(f['base-port'], 0);
    const central = await spawnEdgerec(
      'central',
      [
        'central', '--data-dir', layout.centralDir, '--broker', brokerUrl, '--protocol-version', '4',
        '--username', 'central', '--password-file', layout.secretFile('central'), '--signing-key', layout.signingKey,
        '--port', String(centralPort), '--min-nodes', String(Math.max(1, f.edges - 1)),
        '--round-interval-ms', String(f['round-interval-ms']), '--min-round-interval-ms', String(f['min-round-interval-ms']),
        '--num-items', String(f.items),
        '--admin-tokens', layout.adminTokens,
      ],
      layout.logDir,
    );
    procs.push(central);
    const edgeUrls: Record<string, string> = {};
    for (let i = 0; i < regions.length; i++) {
      const id = nodeIds[i];
      const port = await portOr(f['base-port'], i + 1);
      const edge = await spawnEdgerec(
        id,
        [
          'edge', '--id', id, '--region', regions[i], '--port', String(port), '--db', join(dir, `${id}.sqlite`),
          '--items', String(f.items), '--broker', brokerUrl, '--mqtt-protocol', '4', '--broker-username', id,
          '--broker-password-file', layout.secretFile(id), '--central-key', layout.publicKey,
          '--sync-interval-ms', String(f['sync-interval-ms']),
        ],
        layout.logDir,
      );
      procs.push(edge);
      edgeUrls[regions[i]] = String(edge.ready.url);
    }
    const centralUrl = central.ready.url ? String(central.ready.url) : null;
    if (!f['no-simulator']) {
      const spec = Object.entries(edgeUrls).map(([r, u]) => `${r}=${u}`).join(',');
      const sim = spawnEdgerec('simulator', ['simulate', '--edges', spec, '--items', String(f.items), '--users', String(f.users), '--rate', String(f.rate)], layout.logDir);
      procs.push(await sim);
    }
    say({
      event: 'ready',
      broker: brokerUrl,
      central: centralUrl,
      console: centralUrl ? `${centralUrl}/console` : null,
      // demo only: a fresh operator token each start, also in secrets/admin-tokens.json (0600)
      operatorToken: layout.operatorToken,
      report: centralUrl ? `${centralUrl}/admin/reports/federated.html` : null,
      edges: edgeUrls,
      logs: layout.logDir,
    });
    const why = await waitForShutdown(opts.signal);
    say({ event: 'stopping', reason: why });
  } finally {
    await stopAll(procs.slice().reverse());
  }
  return 0;
}
