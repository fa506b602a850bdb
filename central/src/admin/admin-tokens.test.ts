import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKENS_ENV, loadAdminTokens, parseAdminTokens, TokenVerifier } from './admin-tokens.js';

const dir = mkdtempSync(join(tmpdir(), 'admin-tokens-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const good = [
  { token: 'op-secret-aaaaaaaaaaaa', role: 'operator', name: 'alice' },
  { token: 'view-secret-bbbbbbbbbb', role: 'viewer', name: 'bob' },
];

describe('admin tokens', () => {
  it('loads from the file first, else from the env var, else none', () => {
    const file = join(dir, 'tokens.json');
    writeFileSync(file, JSON.stringify(good));
    const env = { [ADMIN_TOKENS_ENV]: JSON.stringify([good[1]]) };
    expect(loadAdminTokens({ file, env }).map((t) => t.name)).toEqual(['alice', 'bob']);
    expect(loadAdminTokens({ env }).map((t) => t.name)).toEqual(['bob']);
    expect(loadAdminTokens({ env: {} })).toEqual([]);
  });

  it.each([
    ['not json', /not valid JSON/],
    [JSON.stringify([{ token: 'short', role: 'operator', name: 'a' }]), /0\.token/],
    [JSON.stringify([{ token: 'long-enough-token-123', role: 'admin', name: 'a' }]), /0\.role/],
    [JSON.stringify([{ token: 'long-enough-token-123', role: 'viewer', name: 'a b' }]), /0\.name/],
    [JSON.stringify([good[0], { ...good[0], name: 'x' }]), /unique/],
  ])('refuses %s without echoing any token', (text, message) => {
    let err: Error | null = null;
    try {
      parseAdminTokens(text, 'tokens.json');
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).toMatch(message);
    expect(err?.message).not.toMatch(/secret|long-enough|short/);
    expect(err).toMatchObject({ code: 'bad_admin_tokens', status: 400 });
  });

  it('an unreadable file is a bad_admin_tokens error naming the path', () => {
    expect(() => loadAdminTokens({ file: join(dir, 'missing.json') })).toThrow(/cannot read .*missing\.json/);
  });

  it('verifies exactly the configured tokens', () => {
    const v = new TokenVerifier(parseAdminTokens(JSON.stringify(good), 'test'));
    expect(v.verify('op-secret-aaaaaaaaaaaa')).toEqual({ name: 'alice', role: 'operator' });
    expect(v.verify('view-secret-bbbbbbbbbb')).toEqual({ name: 'bob', role: 'viewer' });
    expect(v.verify('op-secret-aaaaaaaaaaa')).toBeNull(); // a prefix
    expect(v.verify('')).toBeNull();
    fc.assert(
      fc.property(fc.string({ maxLength: 64 }), (s) => {
        const hit = v.verify(s);
        return hit === null || good.some((g) => g.token === s && g.name === hit.name);
      }),
    );
  });
});
