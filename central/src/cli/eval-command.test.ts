import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli as run } from '../testing/run-cli.js';


const lastJson = (s: string): Record<string, unknown> => JSON.parse(s.trim().split('\n').at(-1) ?? '');

describe('edgerec eval', () => {
  it('prints the metrics and the popularity baseline as one JSON line', async () => {
    const r = await run(['eval', '--format', 'synthetic', '--users', '80', '--items', '150', '--epochs', '2', '--negatives', '20', '--json']);
    expect(r.code).toBe(0);
    const j = lastJson(r.out);
    for (const key of ['hr@10', 'ndcg@10', 'hr@10_full', 'ndcg@10_full', 'itempop_hr@10', 'seconds']) expect(j).toHaveProperty(key);
    expect(j['hr@10']).toBeGreaterThanOrEqual(0);
    expect(j['hr@10']).toBeLessThanOrEqual(1);
    expect(j.users).toBe(80);
  });

  it('evaluates ml-100k files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgerec-ml100k-'));
    const rows: string[] = [];
    for (let u = 1; u <= 30; u++) for (let t = 0; t < 8; t++) rows.push(`${u}\t${((u * 7 + t * 3) % 40) + 1}\t4\t${880000000 + u * 100 + t}`);
    writeFileSync(join(dir, 'u.data'), `${rows.join('\n')}\n`);
    const r = await run(['eval', '--data', dir, '--format', 'ml-100k', '--protocol', 'loo', '--negatives', '10', '--epochs', '1', '--json']);
    expect(r.code).toBe(0);
    expect(lastJson(r.out).users).toBe(30);
  });

  it.each([
    [['eval', '--bogus'], /bad_flag/],
    [['eval', '--negatives', 'abc'], /--negatives/],
    [['eval', '--format', 'ml-100k'], /--data: is required/],
    [['eval', '--format', 'ml-100k', '--data', '/nonexistent/dir'], /data_not_found/],
    [['eval', '--format', 'ml-100k', '--data', '.', '--users', '5'], /only applies to --format synthetic/],
    [['nope'], /unknown command/],
  ])('refuses %j with exit code 2 and a clear message', async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
  });
});
