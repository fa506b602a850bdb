import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DomainError, formatIssues } from '@edgerec/proto-schemas';

/** Env var holding the admin tokens JSON when no `--admin-tokens FILE` is given. */
export const ADMIN_TOKENS_ENV = 'EDGEREC_ADMIN_TOKENS';

/** viewer: read everything; operator: also change things (every change is audited). */
export const AdminRole = z.enum(['viewer', 'operator']);
export type AdminRole = z.infer<typeof AdminRole>;

/**
 * One admin credential. The token is a bearer secret (≥ 16 characters; generate it, e.g.
 * `openssl rand -hex 24`); `name` is who the audit log names.
 *
 * @example
 * AdminTokenEntry.parse({ token: 'c0ffee…', role: 'operator', name: 'alice' });
 */
export const AdminTokenEntry = z.strictObject({
  token: z.string().min(16).max(256),
  role: AdminRole,
  name: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, 'must match [A-Za-z0-9_.@-]{1,64}'),
});
export type AdminTokenEntry = z.infer<typeof AdminTokenEntry>;

export const AdminTokens = z
  .array(AdminTokenEntry)
  .max(1000)
  .refine((list) => new Set(list.map((t) => t.token)).size === list.length, 'tokens must be unique');
export type AdminTokens = z.infer<typeof AdminTokens>;

/** Who made an admin request, as the audit log records it. */
export interface AdminActor {
  name: string;
  role: AdminRole;
}

/**
 * Parses the tokens JSON (`[{"token","role","name"}]`). Errors name the problem and the
 * entry index, never a token value.
 *
 * @example
 * parseAdminTokens('[{"token":"0123456789abcdef","role":"viewer","name":"bob"}]', 'env');
 */
export function parseAdminTokens(json: string, source: string): AdminTokens {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new DomainError('bad_admin_tokens', 400, `${source}: not valid JSON`);
  }
  const r = AdminTokens.safeParse(raw);
  if (!r.success) throw new DomainError('bad_admin_tokens', 400, `${source}: ${formatIssues(r.error)}`);
  return r.data;
}

/**
 * The admin tokens from `file`, else from `$EDGEREC_ADMIN_TOKENS`, else none (every admin
 * request is then refused with 401).
 *
 * @example
 * const tokens = loadAdminTokens({ file: '/run/secrets/admin-tokens.json', env: process.env });
 */
export function loadAdminTokens(opts: { file?: string; env?: NodeJS.ProcessEnv }): AdminTokens {
  if (opts.file) {
    let text: string;
    try {
      text = readFileSync(opts.file, 'utf8');
    } catch {
      throw new DomainError('bad_admin_tokens', 400, `--admin-tokens: cannot read ${opts.file}`);
    }
    return parseAdminTokens(text, opts.file);
  }
  const fromEnv = opts.env?.[ADMIN_TOKENS_ENV];
  return fromEnv ? parseAdminTokens(fromEnv, `$${ADMIN_TOKENS_ENV}`) : [];
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Checks presented bearer tokens in constant time: both sides are hashed to 32 bytes (so
 * lengths never differ) and every known token is compared, with no early exit, so timing
 * reveals neither which token nor how much of one matched.
 *
 * @example
 * const verifier = new TokenVerifier(tokens);
 * verifier.verify(bearer); // { name: 'alice', role: 'operator' } or null
 */
export class TokenVerifier {
  private readonly entries: { hash: Buffer; actor: AdminActor }[];

  constructor(tokens: readonly AdminTokenEntry[]) {
    this.entries = tokens.map((t) => ({ hash: digest(t.token), actor: { name: t.name, role: t.role } }));
  }

  get size(): number {
    return this.entries.length;
  }

  verify(presented: string): AdminActor | null {
    const h = digest(presented);
    let found: AdminActor | null = null;
    for (const e of this.entries) {
      if (timingSafeEqual(e.hash, h) && found === null) found = e.actor;
    }
    return found;
  }
}
