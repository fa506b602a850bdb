import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { renderMosquittoAcl, renderMosquittoConf, renderMosquittoPasswords } from '@edgerec/services/bus';
import { readUsers } from './broker-command.js';
import { parseFlags } from './parse-flags.js';
import type { CliIo } from './main.js';

export const MosquittoConfigFlags = z.object({
  'users-file': z.string().min(1),
  out: z.string().min(1),
  port: z.coerce.number().int().min(1).max(65535).default(1883),
  host: z.string().min(1).default('0.0.0.0'),
  /** paths as the broker will see them (e.g. inside its container) */
  'config-dir': z.string().min(1).default('/mosquitto/config'),
  'data-dir': z.string().min(1).default('/mosquitto/data'),
});

export const mosquittoConfigUsage = 'edgerec mosquitto-config --users-file F --out DIR [--port 1883] [--host 0.0.0.0] [--config-dir /mosquitto/config] [--data-dir /mosquitto/data]';

/**
 * `edgerec mosquitto-config`: writes mosquitto.conf, acl and passwd for a real mosquitto
 * from the same ACL table the embedded broker enforces (a node publishes only under its id).
 */
export async function mosquittoConfigCommand(argv: string[], io: CliIo): Promise<number> {
  const opts = { 'users-file': { type: 'string' }, out: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, 'config-dir': { type: 'string' }, 'data-dir': { type: 'string' } } as const;
  const f = parseFlags(argv, opts, MosquittoConfigFlags);
  const users = readUsers(f['users-file']);
  mkdirSync(f.out, { recursive: true });
  writeFileSync(
    join(f.out, 'mosquitto.conf'),
    renderMosquittoConf({
      port: f.port,
      host: f.host,
      passwordFile: `${f['config-dir']}/passwd`,
      aclFile: `${f['config-dir']}/acl`,
      persistenceDir: f['data-dir'],
    }),
  );
  writeFileSync(join(f.out, 'acl'), renderMosquittoAcl(users));
  writeFileSync(join(f.out, 'passwd'), renderMosquittoPasswords(users, () => randomBytes(12)), { mode: 0o600 });
  io.out.write(`${JSON.stringify({ event: 'written', dir: f.out, users: users.map((u) => u.username) })}\n`);
  return 0;
}
