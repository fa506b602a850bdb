import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { brokerCommand } from './broker-command.js';
import { centralCommand } from './central-command.js';
import { main } from './main.js';

/** A stream that keeps what was written and lets a test wait for a JSON line. */
function capture() {
  let text = '';
  const waiters: (() => void)[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      for (const w of waiters.splice(0)) w();
      cb();
    },
  });
  const lines = () => text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const waitForEvent = (event: string, timeoutMs = 10_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${event} line in: ${text}`)), timeoutMs);
      const check = () => {
        const hit = lines().find((l) => l.event === event);
        if (hit) {
          clearTimeout(timer);
          resolve(hit);
        } else waiters.push(check);
      };
      check();
    });
  return { stream, text: () => text, waitForEvent };
}

const dir = mkdtempSync(join(tmpdir(), 'central-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('edgerec broker and edgerec central', () => {
  it('start, serve metrics, and stop cleanly on a signal', async () => {
    const usersFile = join(dir, 'users.json');
    writeFileSync(usersFile, JSON.stringify([{ username: 'central', password: 'pw', role: 'central' }]));
    const brokerOut = capture();
    const brokerStop = new AbortController();
    const brokerDone = brokerCommand(['--port', '0', '--users-file', usersFile], { out: brokerOut.stream, err: capture().stream }, { signal: brokerStop.signal });
    const listening = await brokerOut.waitForEvent('listening');
    expect(listening).toMatchObject({ url: expect.stringMatching(/^mqtt:\/\/127\.0\.0\.1:\d+$/), protocolVersion: 4, auth: true });

    const centralOut = capture();
    const centralErr = capture();
    const centralStop = new AbortController();
    const centralDone = centralCommand(
      ['--data-dir', join(dir, 'central'), '--broker', String(listening.url), '--username', 'central', '--protocol-version', '4',
        '--port', '0', '--num-items', '30', '--dim', '4', '--min-nodes', '1', '--backend', 'typed-array'],
      { out: centralOut.stream, err: centralErr.stream },
      { signal: centralStop.signal, env: { EDGEREC_BROKER_PASSWORD: 'pw' } },
    );
    const up = await centralOut.waitForEvent('listening');
    expect(up).toMatchObject({ version: 1, keyId: expect.stringMatching(/^[0-9a-f]{16}$/), backend: 'typed-array', round: 1 });
    const metrics = await (await fetch(`${String(up.url)}/metrics`)).text();
    expect(metrics).toMatch(/edgerec_central_model_version 1/);
    expect(centralErr.text()).toContain('"msg":"central started"');
    expect(centralErr.text()).not.toContain('PRIVATE KEY');

    centralStop.abort();
    expect(await centralDone).toBe(0);
    brokerStop.abort();
    expect(await brokerDone).toBe(0);
    expect(centralOut.text()).toContain('"event":"stopped"');
  });

  it('refuses bad flags and a bad users file with exit code 2', async () => {
    const err = capture();
    expect(await main(['central', '--data-dir', dir], { out: capture().stream, err: err.stream })).toBe(2);
    expect(err.text()).toMatch(/bad_flag: --broker/);
    const bad = join(dir, 'bad-users.json');
    writeFileSync(bad, JSON.stringify([{ username: 'a/b', password: 'x', role: 'node' }]));
    const err2 = capture();
    expect(await main(['broker', '--users-file', bad, '--port', '0'], { out: capture().stream, err: err2.stream })).toBe(2);
    expect(err2.text()).toMatch(/bad_users_file/);
  });
});
