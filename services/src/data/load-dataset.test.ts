import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, type DatasetFormat } from './load-dataset.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'edgerec-load-'));
  mkdirSync(join(root, 'ml-100k'));
  writeFileSync(join(root, 'ml-100k', 'u.data'), '1\t10\t4\t100\n2\t10\t5\t200\n');
  writeFileSync(join(root, 'ml-100k', 'u.user'), '1|20|M|x|12345\n2|30|F|y|98765\n');
  mkdirSync(join(root, 'latest'));
  writeFileSync(join(root, 'latest', 'ratings.csv'), 'userId,movieId,rating,timestamp\n1,2,3.5,4\n');
  mkdirSync(join(root, 'empty'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('loadDataset', () => {
  it('loads each format', async () => {
    const ml = await loadDataset({ format: 'ml-100k', dir: join(root, 'ml-100k') });
    expect(ml.userRegion).toEqual(['1', '9']);
    const latest = await loadDataset({ format: 'ml-latest', dir: join(root, 'latest') });
    expect(latest.interactions).toEqual([{ user: 0, item: 0, ts: 4, rating: 3.5 }]);
    const syn = await loadDataset({ format: 'synthetic', synthetic: { seed: 3, numUsers: 10, numItems: 50, interactionsPerUser: 20 } });
    expect(syn.name).toBe('synthetic-3');
    expect(syn.numUsers).toBe(10);
  });

  it('reports a missing dir option, directory or file as data_not_found with the path', async () => {
    await expect(loadDataset({ format: 'ml-100k' })).rejects.toMatchObject({ code: 'data_not_found', status: 400 });
    const nowhere = join(root, 'nowhere');
    await expect(loadDataset({ format: 'ml-latest', dir: nowhere })).rejects.toMatchObject({
      code: 'data_not_found',
      message: expect.stringContaining(nowhere),
    });
    await expect(loadDataset({ format: 'ml-100k', dir: join(root, 'empty') })).rejects.toMatchObject({
      code: 'data_not_found',
      message: expect.stringContaining(join(root, 'empty', 'u.data')),
    });
    await expect(loadDataset({ format: 'ml-latest', dir: join(root, 'ml-100k') })).rejects.toMatchObject({
      message: expect.stringContaining('ratings.csv'),
    });
  });

  it('rejects an unknown format', async () => {
    await expect(loadDataset({ format: 'netflix' as DatasetFormat, dir: root })).rejects.toMatchObject({ code: 'bad_format' });
  });
});
