#!/usr/bin/env node
// Writes the secrets docker-compose.yml expects into deploy/secrets/ (git-ignored):
// broker accounts with random passwords, one password file per account, and central's
// ed25519 signing key pair. Existing files are kept, so re-running is safe.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'secrets');
mkdirSync(dir, { recursive: true, mode: 0o700 });
const put = (name, content) => {
  const path = join(dir, name);
  if (!existsSync(path)) writeFileSync(path, content, { mode: 0o600 });
};
const accounts = [
  { username: 'central', role: 'central' },
  ...['r0', 'r1', 'r2'].map((r) => ({ username: `edge-${r}`, role: 'node' })),
];
const users = accounts.map((a) => {
  const file = join(dir, `${a.username}.password`);
  put(`${a.username}.password`, randomBytes(24).toString('base64url'));
  return { ...a, passwordFile: file };
});
if (!existsSync(join(dir, 'broker-users.json'))) {
  const { readFileSync } = await import('node:fs');
  put('broker-users.json', JSON.stringify(users.map((u) => ({ username: u.username, role: u.role, password: readFileSync(u.passwordFile, 'utf8') }))));
}
if (!existsSync(join(dir, 'signing-key.pem'))) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  put('signing-key.pem', privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(dir, 'signing-key.pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
}
console.log(JSON.stringify({ event: 'secrets_ready', dir }));
