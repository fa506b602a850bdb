import { collectDefaultMetrics } from 'prom-client';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { z } from 'zod';
import { DomainError } from '@edgerec/proto-schemas';
import { typedArrayBackend } from '../backend/index.js';
import { startCentral } from '../central-service.js';
import { ADMIN_TOKENS_ENV, createAdminApp, loadAdminTokens, startAdminServer, type AdminServer } from '../admin/index.js';
import type { CliIo } from './main.js';
import { parseFlags } from './parse-flags.js';
import { waitForShutdown } from './wait-for-shutdown.js';

/** Env var holding the broker password (kept out of argv, which `ps` shows). */
export const BROKER_PASSWORD_ENV = 'EDGEREC_BROKER_PASSWORD';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const CentralFlags = z.object({
  'data-dir': z.string().min(1),
  broker: z.string().regex(/^mqtts?:\/\/|^wss?:\/\//, 'must be an mqtt:// (or mqtts/ws/wss) URL'),
  username: z.string().min(1).optional(),
  'password-file': z.string().min(1).optional(),
  'protocol-version': z.enum(['4', '5']).default('5'),
  'client-id': z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default('edgerec-central'),
  port: int(0, 65535).optional(),
  host: z.string().min(1).default('127.0.0.1'),
  'min-nodes': int(1, 100_000).default(2),
  'round-interval-ms': int(1, 7 * 24 * 3_600_000).default(60_000),
  /** least time between two rounds' openings (0: back to back); paces versions under steady load */
  'min-round-interval-ms': int(0, 7 * 24 * 3_600_000).default(0),
  'max-staleness': int(0, 1_000_000).default(0),
  late: z.enum(['weight', 'drop']).default('weight'),
  'buffer-size': int(1, 1_000_000).optional(),
  strategy: z.enum(['fedavg', 'fedavgm', 'fedadam', 'fedyogi', 'median', 'trimmed-mean', 'krum']).default('fedavg'),
  'num-items': int(1, 100_000_000).default(1682),
  dim: int(2, 1024).default(64),
  seed: z.coerce.number().int().default(7),
  'gate-threshold': z.coerce.number().min(-1).max(1).optional(),
  'signing-key': z.string().min(1).optional(),
  /** JSON file [{"token","role":"viewer"|"operator","name"}] (else $EDGEREC_ADMIN_TOKENS) */
  'admin-tokens': z.string().min(1).optional(),
  'log-level': z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** auto: tfjs-node-gpu → tfjs-node → tfjs-wasm → typed arrays */
  backend: z.enum(['auto', 'typed-array']).default('auto'),
});

const options = Object.fromEntries(Object.keys(CentralFlags.shape).map((k) => [k, { type: 'string' as const }]));

export const centralUsage = `edgerec central --data-dir DIR --broker URL [--username U] [--password-file F | $${BROKER_PASSWORD_ENV}]
             [--protocol-version 4|5] [--port P] [--min-nodes N] [--round-interval-ms MS] [--min-round-interval-ms MS] [--max-staleness S]
             [--late weight|drop] [--buffer-size K] [--strategy fedavg|fedavgm|fedadam|fedyogi|median|trimmed-mean|krum]
             [--num-items N] [--dim D] [--seed S] [--gate-threshold T] [--signing-key PEM] [--backend auto|typed-array]
             [--admin-tokens FILE | $${ADMIN_TOKENS_ENV}] [--log-level L]`;

/**
 * `edgerec central`: the aggregator against an MQTT broker. `--round-interval-ms` is the
 * round deadline (a round closes earlier once every online node reported). `--port` serves
 * the admin API (`/admin/*`, bearer tokens from `--admin-tokens` or $EDGEREC_ADMIN_TOKENS),
 * the web console (`/console`), Prometheus `/metrics` and `/healthz`. Prints
 * `{"event":"listening",…}` once the first round is open; runs until SIGINT/SIGTERM.
 */
export async function centralCommand(argv: string[], io: CliIo, opts: { signal?: AbortSignal; env?: NodeJS.ProcessEnv } = {}): Promise<number> {
  const f = parseFlags(argv, options, CentralFlags);
  const env = opts.env ?? process.env;
  const password = f['password-file'] ? readSecret(f['password-file']) : env[BROKER_PASSWORD_ENV];
  const logger = pino({ name: 'central', level: f['log-level'] }, io.err);
  // Read (and validate) the tokens before anything starts; they are never logged.
  const adminTokens = loadAdminTokens({ file: f['admin-tokens'], env });
  const central = await startCentral({
    dataDir: f['data-dir'],
    brokerUrl: f.broker,
    username: f.username,
    password,
    protocolVersion: Number(f['protocol-version']) as 4 | 5,
    clientId: f['client-id'],
    policy: {
      minNodes: f['min-nodes'], deadlineMs: f['round-interval-ms'], minIntervalMs: f['min-round-interval-ms'], maxStaleness: f['max-staleness'], late: f.late,
      bufferSize: f['buffer-size'], strategy: { name: f.strategy },
    },
    gate: f['gate-threshold'] === undefined ? undefined : { threshold: f['gate-threshold'] },
    model: { numItems: f['num-items'], config: { dim: f.dim }, seed: f.seed },
    signingKeyFile: f['signing-key'],
    backend: f.backend === 'typed-array' ? typedArrayBackend : 'auto',
    env,
    logger,
  });
  // Process metrics (RSS, heap, event-loop lag) for this process's one central.
  collectDefaultMetrics({ register: central.metrics.registry });
  let server: AdminServer | null = null;
  if (f.port !== undefined) {
    if (adminTokens.length === 0) logger.warn({}, `no admin tokens (--admin-tokens or $${ADMIN_TOKENS_ENV}): /admin/* answers 401`);
    try {
      server = await startAdminServer(createAdminApp({ central, tokens: adminTokens, logger }), { port: f.port, host: f.host });
    } catch (e) {
      await central.stop();
      throw e;
    }
  }
  io.out.write(`${JSON.stringify({
    event: 'listening', url: server?.url ?? null, console: server ? `${server.url}/console` : null, adminTokens: adminTokens.length,
    broker: f.broker, version: central.activeVersion(),
    keyId: central.signer.keyId, backend: central.backend.name, round: central.rounds.currentRound?.id ?? null,
  })}\n`);
  const why = await waitForShutdown(opts.signal);
  await server?.close();
  await central.stop();
  io.out.write(`${JSON.stringify({ event: 'stopped', reason: why })}\n`);
  return 0;
}

function readSecret(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    throw new DomainError('bad_flag', 400, `--password-file: cannot read ${file}`);
  }
}
