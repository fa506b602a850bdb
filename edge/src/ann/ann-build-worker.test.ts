import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gaussian, mulberry32 } from '@edgerec/services/common';
import { createWeights } from '@edgerec/services/model';
import { HnswAnnIndex } from '@edgerec/services/model/ann';
import { afterAll, describe, expect, it } from 'vitest';
import { startHnswBuild } from './ann-build-worker.js';
import { snapshotIndexRows } from './index-snapshot.js';

const dir = mkdtempSync(join(tmpdir(), 'ann-worker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function weights(n: number, d: number) {
  const g = gaussian(mulberry32(5));
  const w = createWeights(n, d);
  for (let i = 0; i < w.itemEmb.length; i++) w.itemEmb[i] = 0.1 * g();
  for (let i = 0; i < n; i++) w.itemBias[i] = 0.02 * g();
  return { w, queries: Array.from({ length: 15 }, () => Float32Array.from({ length: d }, () => g())) };
}

describe('startHnswBuild', () => {
  it('builds in a worker thread the very index HnswAnnIndex.build makes on the main thread (same rows, same seed)', async () => {
    const { w, queries } = weights(1200, 8);
    let turns = 0;
    const snap = await snapshotIndexRows(w, { space: 'l2-mips', chunkRows: 100, pause: async () => void turns++ });
    expect(turns).toBe(13 + 3); // copy chunks of 64 then 100 rows, 3 slack chunks: the event loop gets a turn between them
    const progress: number[] = [];
    const file = join(dir, 'worker.hnsw');
    const task = startHnswBuild({
      rows: snap!.rows, count: snap!.count, layout: snap!.layout, capacity: 1320, m: 8, efConstruction: 40, seed: 100, file,
      onProgress: (done) => progress.push(done),
    });
    expect(snap!.rows.byteLength).toBe(0); // transferred, not copied
    const result = await task.done;
    expect(result.buildMs).toBeGreaterThan(0);
    expect(progress).toEqual([120, 240, 360, 480, 600, 720, 840, 960, 1080]);
    const meta = { space: snap!.space, dim: 8, count: 1200, maxNorm2: snap!.maxNorm2 };
    const fromWorker = await HnswAnnIndex.fromFile(file, w, meta, { efSearch: 30 });
    const reference = HnswAnnIndex.build(w, { m: 8, efConstruction: 40, efSearch: 30 });
    for (const q of queries) expect(fromWorker.search(q, 10)).toEqual(reference.search(q, 10));
  });

  it('rejects when the worker cannot write the index, and when it is cancelled', async () => {
    const { w } = weights(300, 4);
    const job = async (file: string) => {
      const snap = (await snapshotIndexRows(w, { space: 'ip' }))!;
      return { rows: snap.rows, count: 300, layout: snap.layout, capacity: 300, m: 8, efConstruction: 20, seed: 1, file };
    };
    await expect(startHnswBuild(await job(join(dir, 'missing', 'x.hnsw'))).done).rejects.toThrow();
    const task = startHnswBuild(await job(join(dir, 'cancelled.hnsw')));
    await task.cancel();
    await expect(task.done).rejects.toThrow(/cancelled|exited/);
  });
});
