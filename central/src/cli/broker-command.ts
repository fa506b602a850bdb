import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DomainError } from '@edgerec/proto-schemas';
import { startEmbeddedBroker } from '@edgerec/services/bus';
import type { CliIo } from './main.js';
import { parseFlags } from './parse-flags.js';
import { waitForShutdown } from './wait-for-shutdown.js';

const BrokerFlags = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(1883),
  host: z.string().min(1).default('127.0.0.1'),
  'users-file': z.string().min(1).optional(),
});

const options = {
  port: { type: 'string' },
  host: { type: 'string' },
  'users-file': { type: 'string' },
} as const;

/** Broker accounts: `[{ "username": "edge-1", "password": "…", "role": "node" }, …]`. */
export const BrokerUsersFile = z.array(
  z.object({
    username: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
    password: z.string().min(1),
    role: z.enum(['central', 'node', 'device']),
  }),
);
export type BrokerUsersFile = z.infer<typeof BrokerUsersFile>;

export const brokerUsage = 'edgerec broker [--port 1883] [--host 127.0.0.1] [--users-file FILE]';

/**
 * `edgerec broker`: the embedded aedes MQTT 3.1.1 broker (clients use protocolVersion 4).
 * With `--users-file` clients must authenticate and the ACL applies (a node publishes only
 * under its own id). Prints `{"event":"listening","url":…}` on stdout once it accepts
 * connections and runs until SIGINT/SIGTERM.
 */
export async function brokerCommand(argv: string[], io: CliIo, opts: { signal?: AbortSignal } = {}): Promise<number> {
  const flags = parseFlags(argv, options, BrokerFlags);
  const users = flags['users-file'] ? readUsers(flags['users-file']) : undefined;
  const broker = await startEmbeddedBroker({
    port: flags.port,
    host: flags.host,
    users,
    onDenied: (e) => io.err.write(`${JSON.stringify({ level: 'warn', msg: 'denied', ...e })}\n`),
  });
  io.out.write(`${JSON.stringify({ event: 'listening', url: broker.url, protocolVersion: broker.protocolVersion, auth: users !== undefined })}\n`);
  const why = await waitForShutdown(opts.signal);
  await broker.close();
  io.out.write(`${JSON.stringify({ event: 'stopped', reason: why })}\n`);
  return 0;
}

/** Reads and validates a broker users file; problems are `DomainError('bad_users_file')`. */
export function readUsers(file: string): BrokerUsersFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DomainError('bad_users_file', 400, `cannot read ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  const parsed = BrokerUsersFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DomainError('bad_users_file', 400, `${file}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim());
  }
  return parsed.data;
}
