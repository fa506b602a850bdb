import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');

describe('npm run bench -- all --quick', () => {
  it('runs every benchmark area and prints one JSON object as its last line', () => {
    const r = spawnSync(process.execPath, [join(root, 'bin/edgerec.js'), 'bench', 'all', '--quick', '--json'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const last = r.stdout.trim().split('\n').at(-1) ?? '';
    const json = JSON.parse(last) as { bench: string; quick: boolean; results: Record<string, unknown> };
    expect(json.bench).toBe('all');
    expect(json.quick).toBe(true);
    expect(Object.keys(json.results).sort()).toEqual(['aggregate', 'exploration', 'ingest', 'prequential', 'quality', 'serve', 'train']);
  }, 150_000);
});
