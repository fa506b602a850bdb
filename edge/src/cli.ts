import { parseArgs } from 'node:util';
import { DomainError, NodeId, Region } from '@edgerec/proto-schemas';
import { pino, type Logger } from 'pino';
import { z } from 'zod';
import { startEdgeNode } from './edge-node.js';
import { DeviceGateway } from './devices/device-gateway.js';
import type { Transport } from '@edgerec/services/bus';
import {
  BROKER_PASSWORD_ENV, createSyncTransport, EdgeSyncClient, HoldoutPolicy, loadCentralKeys, ManifestTrust, readBrokerPassword,
} from './sync/index.js';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Flags of `edgerec edge`. */
export const EdgeFlags = z.object({
  id: NodeId,
  region: Region,
  port: int(0, 65535),
  db: z.string().min(1),
  host: z.string().min(1).default('127.0.0.1'),
  items: int(1, 10_000_000).optional(),
  dim: int(2, 1024).optional(),
  seed: int(0, 2 ** 32 - 1).default(1),
  'checkpoint-events': int(1, 1e9).optional(),
  'checkpoint-ms': int(1, 1e9).optional(),
  'rate-per-user': z.coerce.number().positive().max(1e6).optional(),
  'prox-mu': z.coerce.number().min(0).max(10).optional(),
  'replay-prob': z.coerce.number().min(0).max(1).optional(),
  durability: z.enum(['process', 'power']).default('power'),
  /** cap on the SQLite file: past it, writes fail cleanly (POST /v1/events answers 507 storage_full) */
  'max-db-mb': z.coerce.number().positive().max(1e7).optional(),
  /** catalog size from which top-k is served through an HNSW index built in a worker thread (default 1 000 000); 0 = never */
  'ann-min-items': int(0, 1e9).optional(),
  /** do not keep the ANN index next to the database across restarts (and remove one kept before) */
  'ann-no-keep': z.boolean().default(false),
  'log-level': z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** MQTT broker of the sync protocol; without it the edge runs standalone */
  broker: z.string().regex(/^mqtts?:\/\/|^wss?:\/\//, 'must be an mqtt:// (or mqtts/ws/wss) URL').optional(),
  'broker-username': z.string().min(1).optional(),
  'broker-password-file': z.string().min(1).optional(),
  'mqtt-protocol': z.enum(['4', '5']).default('5'),
  /** PEM file(s) of central's ed25519 public key (repeatable) */
  'central-key': z.union([z.string().min(1), z.array(z.string().min(1))]).optional(),
  'trust-on-first-use': z.boolean().default(false),
  'sync-interval-ms': int(50, 1e9).default(10_000),
  'status-interval-ms': int(100, 1e9).default(15_000),
});
export type EdgeFlags = z.infer<typeof EdgeFlags>;

export const edgeUsage =
  'edge --id ID --region R --port P --db FILE [--items N] [--dim D] [--host H] [--seed S] [--durability power|process] [--max-db-mb MB]\n' +
  '       [--rate-per-user N] [--prox-mu MU] [--replay-prob P] [--checkpoint-events N] [--checkpoint-ms MS] [--log-level L]\n' +
  '       [--ann-min-items N (HNSW top-k from N items, default 1000000; 0 = never)] [--ann-no-keep]\n' +
  `       [--broker URL --central-key PEM [--broker-username U] [--broker-password-file F | $${BROKER_PASSWORD_ENV}]\n` +
  '        [--mqtt-protocol 4|5] [--sync-interval-ms N] [--status-interval-ms N] [--trust-on-first-use]]';

const FLAG_NAMES = Object.keys(EdgeFlags.shape);
const BOOLEAN_FLAGS = new Set(['trust-on-first-use', 'ann-no-keep']);
const MULTIPLE_FLAGS = new Set(['central-key']);

/** Parses and validates `edgerec edge` flags; anything wrong is `DomainError('bad_flag', 400)`. */
export function parseEdgeFlags(argv: string[]): EdgeFlags {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: Object.fromEntries(FLAG_NAMES.map((n) => [n, {
        type: BOOLEAN_FLAGS.has(n) ? ('boolean' as const) : ('string' as const), multiple: MULTIPLE_FLAGS.has(n),
      }])),
    }));
  } catch (e) {
    throw new DomainError('bad_flag', 400, (e as Error).message);
  }
  const parsed = EdgeFlags.safeParse(values);
  if (!parsed.success) {
    throw new DomainError('bad_flag', 400, parsed.error.issues.map((i) => `--${i.path.join('.') || '?'}: ${i.message}`).join('; '));
  }
  return parsed.data;
}

/**
 * `edgerec edge …`: starts an edge node, prints one JSON line
 * `{"event":"listening","url":…}` on stdout when it serves (logs go to stderr), and
 * resolves with exit code 0 after SIGINT/SIGTERM and a graceful stop.
 *
 * @example
 * process.exitCode = await edgeCommand(['--id', 'edge-1', '--region', 'eu', '--port', '8080', '--db', 'edge-1.db']);
 */
export async function edgeCommand(argv: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const f = parseEdgeFlags(argv);
  const logger = pino({ level: f['log-level'], base: { nodeId: f.id } }, pino.destination(2));
  const holdout = f.broker ? new HoldoutPolicy() : undefined;
  const transport = f.broker ? brokerTransportFor(f) : undefined;
  const sync = transport ? syncClientFor(f, transport, logger, holdout!) : undefined;
  const node = await startEdgeNode({
    id: f.id, region: f.region, port: f.port, host: f.host, dbPath: f.db, numItems: f.items, dim: f.dim, seed: f.seed,
    durability: f.durability, logger, sync,
    learner: {
      checkpointEvents: f['checkpoint-events'], checkpointMs: f['checkpoint-ms'], replayProb: f['replay-prob'],
      holdout: holdout?.isHeldOut,
    },
    modelConfig: f['prox-mu'] === undefined ? undefined : { proxMu: f['prox-mu'] },
    rateLimit: f['rate-per-user'] ? { perSecond: f['rate-per-user'], burst: Math.max(1, 2 * f['rate-per-user']) } : undefined,
    maxDbBytes: f['max-db-mb'] === undefined ? undefined : f['max-db-mb'] * 1024 * 1024,
    ann: {
      ...(f['ann-min-items'] === undefined ? {} : { minItems: f['ann-min-items'] }),
      ...(f['ann-no-keep'] ? { keep: false } : {}),
    },
  });
  // IoT devices that speak MQTT reach the same ingest and recommendations over the broker.
  const devices = transport
    ? new DeviceGateway({
        transport,
        ingest: (events) => node.core.ingestor.ingestDurably({ events }), // acked only once durable
        recommend: (q) => node.core.recommender.recommend(q),
        logger,
      })
    : undefined;
  await devices?.start();
  out.write(`${JSON.stringify({ event: 'listening', url: node.url, id: f.id, region: f.region, modelVersion: node.core.holder.version })}\n`);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'stopping');
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await devices?.stop().catch((e: Error) => logger.warn({ err: e.message }, 'device gateway stop failed'));
  await node.stop();
  return 0;
}

/** The broker connection `--broker` asks for, shared by model sync and the device gateway. */
function brokerTransportFor(f: EdgeFlags): Transport {
  return createSyncTransport({
    url: f.broker!, nodeId: f.id, region: f.region, username: f['broker-username'],
    password: readBrokerPassword(f['broker-password-file'], process.env), protocolVersion: Number(f['mqtt-protocol']) as 4 | 5,
  });
}

/** The MQTT sync client `--broker` asks for; refuses to run without a way to trust releases. */
function syncClientFor(f: EdgeFlags, transport: Transport, logger: Logger, holdout: HoldoutPolicy): EdgeSyncClient {
  const keyFiles = f['central-key'] === undefined ? [] : [f['central-key']].flat();
  if (keyFiles.length === 0 && !f['trust-on-first-use']) {
    throw new DomainError('bad_flag', 400, '--broker needs --central-key FILE (or --trust-on-first-use) to verify model releases');
  }
  return new EdgeSyncClient({
    nodeId: f.id, region: f.region, transport, logger, holdout,
    trust: new ManifestTrust(loadCentralKeys(keyFiles), { trustOnFirstUse: f['trust-on-first-use'] }),
    syncIntervalMs: f['sync-interval-ms'], statusIntervalMs: f['status-interval-ms'],
  });
}
