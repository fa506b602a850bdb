import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gaussian, mulberry32 } from '@edgerec/services/common';
import { cloneWeights, defaultModelConfig, markItemRowsWritten, RecommenderModel, type ModelWeights, type UserState } from '@edgerec/services/model';
import { afterEach, describe, expect, it } from 'vitest';
import { ItemCatalog } from '../item-catalog.js';
import { ModelHolder } from '../model-holder.js';
import type { AnnOptions } from './ann-options.js';
import { AnnServing, type AnnBuildReport, type AnnObserver } from './ann-serving.js';

const N = 3000;
const D = 16;
/** small graph and beam so a build takes well under a second; efSearch low enough that recall is measured, not given */
const OPTS: AnnOptions = { minItems: 1000, efSearch: 160, m: 16, efConstruction: 100, rerank: 4, refreshMs: 60_000, copyChunkRows: 500 };

/** Rows around 24 centres (trained embeddings cluster), small biases; `seed` varies the table. */
function clusteredRows(w: ModelWeights, seed: number): void {
  const rng = mulberry32(seed);
  const g = gaussian(rng);
  const centres = Array.from({ length: 24 }, () => Float32Array.from({ length: D }, () => g()));
  for (let i = 0; i < w.numItems; i++) {
    const c = centres[Math.floor(rng() * centres.length)];
    for (let k = 0; k < D; k++) w.itemEmb[i * D + k] = 0.1 * (c[k] + 0.5 * g());
    w.itemBias[i] = 0.02 * g();
  }
}

const dirs: string[] = [];
const servings: AnnServing[] = [];
afterEach(async () => {
  await Promise.all(servings.splice(0).map((s) => s.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(opts: AnnOptions = {}, observer?: AnnObserver, env: { subdir?: string; clock?: () => number } = {}) {
  const model = RecommenderModel.create(N, defaultModelConfig({ dim: D, adapterRank: 2 }), mulberry32(1));
  clusteredRows(model.weights, 2);
  const holder = new ModelHolder(model, new ItemCatalog(ItemCatalog.synthetic(N)), 0, null, null, cloneWeights(model.weights));
  const root = mkdtempSync(join(tmpdir(), 'ann-serving-'));
  dirs.push(root);
  const dir = env.subdir ? join(root, env.subdir) : root;
  const serving = new AnnServing({ holder, dir, options: { ...OPTS, ...opts }, observer, clock: env.clock });
  servings.push(serving);
  const rng = mulberry32(3);
  const g = gaussian(rng);
  const users: UserState[] = Array.from({ length: 60 }, () => {
    const u = model.newUser(rng);
    for (let k = 0; k < D; k++) u.vec[k] = g(); // queries from all directions, no history
    return u;
  });
  const exact = (u: UserState, k = 10, seen?: Set<number>) => model.topK(u, k, seen, u.recent);
  return { model, holder, serving, users, exact, dir };
}

function recallAt10(serving: AnnServing, users: UserState[], exact: (u: UserState) => { item: number }[]): number {
  let hit = 0;
  for (const u of users) {
    const want = new Set(exact(u).map((s) => s.item));
    hit += serving.topK(u, 10, undefined, u.recent).filter((s) => want.has(s.item)).length;
  }
  return hit / (10 * users.length);
}

/** Moves row `row` so that it scores `target` for `q`, the way the learner writes rows (values, tracker count, int8 mirror). */
function rewriteRow(model: RecommenderModel, row: number, q: Float32Array, target: number): void {
  const w = model.weights;
  const cur = model.scoreWithQuery(q, row);
  w.itemBias[row] += target - cur;
  model.tracker.touch(row);
  markItemRowsWritten(w, [row]);
}

describe('AnnServing', () => {
  it('serves the exact scan until its index is ready, then the index at recall@10 ≥ 0.95 with exact scores', async () => {
    const { model, serving, users, exact } = setup();
    serving.start();
    expect(serving.status()).toMatchObject({ enabled: true, building: true, ready: false });
    for (const u of users.slice(0, 10)) expect(serving.topK(u, 10, undefined, u.recent)).toEqual(exact(u));

    await serving.idle();
    const st = serving.status();
    expect(st).toMatchObject({ ready: true, building: false, indexedRows: N, indexVersion: 0, changedRows: 0, builds: 1 });
    expect(st.lastBuild!.buildMs).toBeGreaterThan(0);
    expect(recallAt10(serving, users, exact)).toBeGreaterThanOrEqual(0.95);
    const u = users[0];
    const q = Float32Array.from(model.userQuery(u));
    const got = serving.topK(u, 10, undefined, u.recent);
    for (const s of got) expect(s.score).toBeCloseTo(model.scoreWithQuery(q, s.item), 5);
    expect(got.map((s) => s.score)).toEqual([...got.map((s) => s.score)].sort((a, b) => b - a));
  });

  it('excludes seen items and still fills k, also when they cover the true top', async () => {
    const { serving, users, exact } = setup();
    await serving.start().idle();
    const u = users[1];
    const seen = new Set(exact(u, 30).slice(0, 25).map((s) => s.item));
    const got = serving.topK(u, 10, seen, u.recent);
    expect(got).toHaveLength(10);
    for (const s of got) expect(seen.has(s.item)).toBe(false);
    const want = new Set(exact(u, 10, seen).map((s) => s.item));
    expect(got.filter((s) => want.has(s.item)).length).toBeGreaterThanOrEqual(9);
  });

  it('ranks by the current weights: a candidate that rose leads and a top row that fell drops, before any refresh', async () => {
    const { model, serving, users, exact } = setup();
    await serving.start().idle();
    const u = users[2];
    const q = Float32Array.from(model.userQuery(u));
    const before = exact(u, 30);
    const riser = before[14].item; // outside the top-10, inside the rerank × k candidates
    const faller = before[0].item;
    rewriteRow(model, riser, q, before[0].score + 1);
    rewriteRow(model, faller, q, before[29].score - 1);
    const got = serving.topK(u, 10, undefined, u.recent);
    expect(got[0]).toEqual({ item: riser, score: expect.closeTo(before[0].score + 1, 4) });
    expect(got.map((s) => s.item)).not.toContain(faller);
  });

  it('scores rows changed since the build exactly: a far row whose score rose enters the top-k once the tracker is read', async () => {
    const { model, serving, users, exact } = setup();
    await serving.start().idle();
    const u = users[3];
    const q = Float32Array.from(model.userQuery(u));
    const far = exact(u, N).at(-1)!.item; // the worst row: the index will not offer it for this query
    const best = exact(u, 1)[0].score;
    rewriteRow(model, far, q, best + 0.5);
    serving.refresh(); // the periodic look at the RowTracker
    expect(serving.status().changedRows).toBe(1);
    const got = serving.topK(u, 10, undefined, u.recent);
    expect(got[0]).toEqual({ item: far, score: expect.closeTo(best + 0.5, 4) });
    expect(got.map((s) => s.item)).toEqual(exact(u).map((s) => s.item));
  });

  it('rebuilds once the changed share passes rebuildFraction, and the new index knows the new rows', async () => {
    const built: AnnBuildReport[] = [];
    const { model, serving, users, exact } = setup({ rebuildFraction: 0.05 }, { built: (r) => built.push(r) });
    await serving.start().idle();
    const g = gaussian(mulberry32(9));
    const rows = Array.from({ length: 200 }, (_, j) => j * 15); // 6.7 % of the rows
    for (const r of rows) {
      for (let k = 0; k < D; k++) model.weights.itemEmb[r * D + k] += 0.05 * g();
      model.tracker.touch(r);
    }
    markItemRowsWritten(model.weights, rows);
    serving.refresh();
    expect(serving.status()).toMatchObject({ building: true, ready: true, changedRows: 200 });
    await serving.idle();
    expect(built.map((r) => r.reason)).toEqual(['catalog-size', 'changed-rows']);
    expect(serving.status()).toMatchObject({ ready: true, changedRows: 0, builds: 2 });
    expect(recallAt10(serving, users, exact)).toBeGreaterThanOrEqual(0.95);
  });

  it('a model swap rebuilds; until then the old index serves, re-ranked by the new weights', async () => {
    const { model, holder, serving, users, exact } = setup();
    await serving.start().idle();
    const next = cloneWeights(model.weights);
    clusteredRows(next, 77); // a different global model
    holder.swap(next, 5);
    expect(serving.status()).toMatchObject({ building: true, ready: true, indexVersion: 0, changedRows: N });
    const u = users[4];
    const q = Float32Array.from(model.userQuery(u));
    for (const s of serving.topK(u, 10, undefined, u.recent)) expect(s.score).toBeCloseTo(model.scoreWithQuery(q, s.item), 5);

    await serving.idle();
    expect(serving.status()).toMatchObject({ ready: true, indexVersion: 5, changedRows: 0, builds: 2 });
    expect(recallAt10(serving, users, exact)).toBeGreaterThanOrEqual(0.95);
  });

  it('a build overtaken by a swap is still installed, and the next one follows it', async () => {
    const installed: { builtFrom: number; served: number | null; current: number }[] = [];
    let serving: AnnServing | undefined;
    const { model, holder, ...rest } = setup({}, {
      built: (r) => installed.push({ builtFrom: r.modelVersion, served: serving!.status().indexVersion, current: holder.version }),
    });
    serving = rest.serving;
    serving.start(); // first build runs on version 0
    const next = cloneWeights(model.weights);
    clusteredRows(next, 78);
    holder.swap(next, 6);
    await serving.idle();
    expect(installed).toEqual([{ builtFrom: 0, served: 0, current: 6 }, { builtFrom: 6, served: 6, current: 6 }]);
    expect(serving.status()).toMatchObject({ indexVersion: 6, builds: 2, building: false });
    expect(recallAt10(serving, rest.users, rest.exact)).toBeGreaterThanOrEqual(0.95);
  });

  it('close() terminates a running build: nothing installed, no index file left', async () => {
    let serving: AnnServing | undefined;
    let closing: Promise<void> | undefined;
    const built: AnnBuildReport[] = [];
    const s = setup({}, { progress: () => void (closing ??= serving!.close()), built: (r) => built.push(r) });
    serving = s.serving;
    serving.start();
    await serving.idle();
    expect(closing).toBeDefined();
    await closing;
    expect(built).toEqual([]);
    expect(serving.status()).toMatchObject({ ready: false, building: false });
    expect(readdirSync(s.dir)).toEqual([]);
    expect(serving.topK(s.users[0], 10)).toEqual(s.exact(s.users[0]));
  });

  it('a failed build leaves the scan serving; the next try waits retryMs', async () => {
    let now = 1000;
    const failed: string[] = [];
    const { serving, users, exact, dir } = setup({ retryMs: 5000 }, { failed: (reason) => failed.push(reason) }, { subdir: 'not-yet', clock: () => now });
    await serving.start().idle();
    expect(failed).toEqual(['catalog-size']);
    expect(serving.status()).toMatchObject({ ready: false, building: false, failures: 1, builds: 0 });
    expect(serving.topK(users[0], 10)).toEqual(exact(users[0]));
    mkdirSync(dir);
    now += 4999;
    serving.refresh();
    expect(serving.status().building).toBe(false);
    now += 1;
    serving.refresh();
    await serving.idle();
    expect(serving.status()).toMatchObject({ ready: true, failures: 1, builds: 1, lastBuild: { reason: 'retry' } });
  });

  it('never builds below minItems or with minItems 0', async () => {
    for (const minItems of [N + 1, 0]) {
      const { serving, users, exact } = setup({ minItems });
      serving.start();
      await serving.idle();
      expect(serving.status()).toMatchObject({ enabled: false, building: false, ready: false, builds: 0 });
      expect(serving.topK(users[0], 10)).toEqual(exact(users[0]));
    }
  });
});
