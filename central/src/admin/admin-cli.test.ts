import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker } from '@edgerec/services/bus';
import { centralCommand } from '../cli/central-command.js';
import { main } from '../cli/main.js';

const dir = mkdtempSync(join(tmpdir(), 'admin-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  let text = '';
  const waiters: (() => void)[] = [];
  const stream = new Writable({
    write(chunk, _e, cb) {
      text += String(chunk);
      for (const w of waiters.splice(0)) w();
      cb();
    },
  });
  const event = (name: string) => new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${name} in ${text}`)), 10_000);
    const check = () => {
      const hit = text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).find((l) => l.event === name);
      if (hit) {
        clearTimeout(timer);
        resolve(hit);
      } else waiters.push(check);
    };
    check();
  });
  return { stream, text: () => text, event };
}

describe('edgerec central --port --admin-tokens', () => {
  it('serves the admin API, console and metrics on one port, with the tokens from the file', async () => {
    const broker = await startEmbeddedBroker();
    const tokensFile = join(dir, 'tokens.json');
    const secret = 'cli-operator-token-5f2a9c1e';
    writeFileSync(tokensFile, JSON.stringify([{ token: secret, role: 'operator', name: 'ops' }]));
    const out = capture();
    const err = capture();
    const stop = new AbortController();
    const done = centralCommand(
      ['--data-dir', join(dir, 'central'), '--broker', broker.url, '--protocol-version', '4', '--port', '0', '--num-items', '30',
        '--dim', '4', '--min-nodes', '1', '--backend', 'typed-array', '--admin-tokens', tokensFile, '--log-level', 'debug'],
      { out: out.stream, err: err.stream }, { signal: stop.signal, env: {} },
    );
    const up = await out.event('listening');
    expect(up).toMatchObject({ adminTokens: 1, console: `${String(up.url)}/console` });
    const url = String(up.url);
    expect((await fetch(`${url}/admin/nodes`)).status).toBe(401);
    const auth = { authorization: `Bearer ${secret}` };
    expect(await (await fetch(`${url}/admin/session`, { headers: auth })).json()).toEqual({ name: 'ops', role: 'operator' });
    const paused = await fetch(`${url}/admin/sync/stop`, { method: 'POST', headers: auth });
    expect(paused.status).toBe(200);
    expect((await fetch(`${url}/console`)).headers.get('content-type')).toMatch(/text\/html/);
    expect((await fetch(`${url}/console/assets/uplot.js`)).status).toBe(200);
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/edgerec_central_model_version 1/);
    stop.abort();
    expect(await done).toBe(0);
    await broker.close();
    expect(err.text() + out.text()).not.toContain(secret);
  });

  it('a bad tokens file stops the start with exit code 2 before anything listens', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify([{ token: 'too-short', role: 'root', name: 'x' }]));
    const err = capture();
    const code = await main(['central', '--data-dir', join(dir, 'c2'), '--broker', 'mqtt://127.0.0.1:1', '--admin-tokens', bad], { out: capture().stream, err: err.stream });
    expect(code).toBe(2);
    expect(err.text()).toMatch(/bad_admin_tokens/);
    expect(err.text()).not.toContain('too-short');
  });
});
