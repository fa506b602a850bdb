import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { gaussian, mulberry32 } from '@edgerec/services/common';
import { cloneWeights, defaultModelConfig, RecommenderModel, type ModelWeights, type UserState } from '@edgerec/services/model';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AnnOptions } from './ann-options.js';
import { AnnServing, type AnnObserver } from './ann-serving.js';
import { decodeKeptMeta, encodeKeptMeta } from './kept-index-file.js';

const N = 1200;
const D = 16;
const OPTS: AnnOptions = { minItems: 1000, efSearch: 120, m: 8, efConstruction: 40, rerank: 4, refreshMs: 60_000, copyChunkRows: 300 };
const DB = 'edge.db';

/** Rows around 16 centres, small biases (as in ann-serving.test.ts). */
function clusteredWeights(seed: number): ModelWeights {
  const model = RecommenderModel.create(N, defaultModelConfig({ dim: D, adapterRank: 0 }), mulberry32(seed));
  const w = model.weights;
  const rng = mulberry32(seed + 1);
  const g = gaussian(rng);
  const centres = Array.from({ length: 16 }, () => Float32Array.from({ length: D }, () => g()));
  for (let i = 0; i < N; i++) {
    const c = centres[Math.floor(rng() * centres.length)];
    for (let k = 0; k < D; k++) w.itemEmb[i * D + k] = 0.1 * (c[k] + 0.5 * g());
    w.itemBias[i] = 0.02 * g();
  }
  return w;
}

const weights = clusteredWeights(5);
const g = gaussian(mulberry32(6));
const users: UserState[] = Array.from({ length: 40 }, () => ({ vec: Float32Array.from({ length: D }, () => g()), recent: [] }) as unknown as UserState);

const dirs: string[] = [];
const servings: AnnServing[] = [];
const tmp = (tag: string) => {
  const d = mkdtempSync(join(tmpdir(), `kept-ann-${tag}-`));
  dirs.push(d);
  return d;
};
afterEach(async () => {
  await Promise.all(servings.splice(0).map((s) => s.close()));
});
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** One "process": a fresh model over a copy of `w` (tracker counts at zero, as after a restart) and its serving. */
function boot(dir: string, w: ModelWeights, opts: { version?: number; ann?: AnnOptions; observer?: AnnObserver } = {}) {
  const model = new RecommenderModel(cloneWeights(w), defaultModelConfig({ dim: D, adapterRank: 0 }));
  const serving = new AnnServing({
    holder: { model, version: opts.version ?? 0, onSwap: () => {} }, dir, keepPath: join(dir, DB), options: { ...OPTS, ...opts.ann }, observer: opts.observer,
  });
  servings.push(serving);
  const top = (u: UserState) => serving.topK(u, 10, undefined, u.recent).map((s) => s.item);
  const exact = (u: UserState) => model.topK(u, 10, undefined, u.recent).map((s) => s.item);
  return { model, serving, top, exact };
}

const recall = (got: (u: UserState) => number[], want: (u: UserState) => number[]) =>
  users.reduce((sum, u) => sum + got(u).filter((i) => want(u).includes(i)).length, 0) / (10 * users.length);
const files = (dir: string) => readdirSync(dir).sort();
const metaOf = (dir: string) => decodeKeptMeta(readFileSync(join(dir, `${DB}-ann.meta`)));

let golden: string; // a folder holding the index one build kept, copied into each test's folder
let goldenTop: number[][];
beforeAll(async () => {
  golden = tmp('golden');
  const first = boot(golden, weights);
  await first.serving.start().idle();
  expect(first.serving.status()).toMatchObject({ builds: 1, restoredFrom: null });
  goldenTop = users.map(first.top);
  await first.serving.close();
});

/** A folder with the kept files of the golden build, as a restarted edge finds them. */
function restartDir(tag: string): string {
  const dir = tmp(tag);
  for (const f of readdirSync(golden)) copyFileSync(join(golden, f), join(dir, f));
  return dir;
}

describe('kept ANN index across restarts', () => {
  it('a build keeps exactly one meta and the index file it names', () => {
    const { header } = metaOf(golden);
    expect(files(golden)).toEqual([`${DB}-ann.meta`, header.indexFile].sort());
    expect(header).toMatchObject({ count: N, dim: D, m: 8, efConstruction: 40, modelVersion: 0, space: 'l2-mips' });
  });

  it('a restart serves the kept index without building: the same top-k as before, recall@10 vs exact ≥ 0.95', async () => {
    const dir = restartDir('same');
    const { serving, top, exact } = boot(dir, weights);
    serving.start();
    expect(serving.status()).toMatchObject({ restoring: true, building: false, ready: false });
    await serving.idle();
    expect(serving.status()).toMatchObject({ ready: true, restoredFrom: 'file', builds: 0, changedRows: 0, indexedRows: N, restoreRejects: 0 });
    expect(serving.status().lastRestore).toMatchObject({ items: N, changedRows: 0, rebuild: null });
    expect(users.map(top)).toEqual(goldenTop);
    expect(recall(top, exact)).toBeGreaterThanOrEqual(0.95);
  });

  it('rows changed between the build and the restart are found by their fingerprints and ranked by the live values', async () => {
    const dir = restartDir('changed');
    const w = cloneWeights(weights);
    const u = users[0];
    const probe = new RecommenderModel(cloneWeights(w), defaultModelConfig({ dim: D, adapterRank: 0 }));
    const ranked = probe.topK(u, N, undefined, u.recent);
    const far = ranked.at(-1)!.item; // the worst row for u: the index will not offer it
    w.itemBias[far] += ranked[0].score - ranked.at(-1)!.score + 0.5; // now u's best, written before the restart (tracker counts lost)
    const { serving, top, exact } = boot(dir, w);
    await serving.start().idle();
    expect(serving.status()).toMatchObject({ restoredFrom: 'file', builds: 0, changedRows: 1, lastRestore: { changedRows: 1, rebuild: null } });
    expect(top(u)[0]).toBe(far);
    expect(top(u)).toEqual(exact(u));
  });

  it.each<[string, { ann?: AnnOptions; version?: number }, string]>([
    ['more changed rows than maxChangedRows', { ann: { maxChangedRows: 5 } }, 'restored-changed-rows'],
    ['another model version', { version: 3 }, 'restored-model-version'],
  ])('%s: the kept index serves at once and a rebuild follows, which replaces the kept file', async (_, opts, reason) => {
    const dir = restartDir('stale');
    const w = cloneWeights(weights);
    if (reason === 'restored-changed-rows') for (let r = 0; r < 20; r++) w.itemBias[r * 50] += 0.01;
    const seen: unknown[] = [];
    let serving: AnnServing | undefined;
    const booted = boot(dir, w, { ...opts, observer: { restored: () => seen.push(serving!.status()) } });
    serving = booted.serving;
    const before = metaOf(dir).header.indexFile;
    await serving.start().idle();
    expect(seen).toEqual([expect.objectContaining({ ready: true, restoredFrom: 'file', lastRestore: expect.objectContaining({ rebuild: reason }) })]);
    expect(serving.status()).toMatchObject({ restoredFrom: null, builds: 1, lastBuild: { reason }, indexVersion: opts.version ?? 0 });
    const { header } = metaOf(dir);
    expect(header.indexFile).not.toBe(before);
    expect(header.modelVersion).toBe(opts.version ?? 0);
    expect(files(dir)).toEqual([`${DB}-ann.meta`, header.indexFile].sort());
  });

  it.each<[string, { ann: AnnOptions }, RegExp]>([
    ['graph degree m', { ann: { m: 12 } }, /m 8, now 12/],
    ['normHeadroom', { ann: { normHeadroom: 1.5 } }, /normHeadroom 1.2, now 1.5/],
  ])('a kept index built with another %s is not used, removed and rebuilt', async (_, opts, why) => {
    const dir = restartDir('shape');
    const old = metaOf(dir).header.indexFile;
    const rejected: { kind: string; error: Error }[] = [];
    const { serving, top, exact } = boot(dir, weights, { ...opts, observer: { restoreRejected: (kind, error) => rejected.push({ kind, error }) } });
    await serving.start().idle();
    expect(rejected).toEqual([{ kind: 'mismatch', error: expect.objectContaining({ message: expect.stringMatching(why) }) }]);
    expect(serving.status()).toMatchObject({ restoredFrom: null, builds: 1, restoreRejects: 1, lastRestore: null });
    expect(files(dir)).not.toContain(old);
    expect(metaOf(dir).header).toMatchObject({ m: opts.ann.m ?? 8, normHeadroom: opts.ann.normHeadroom ?? 1.2 });
    expect(recall(top, exact)).toBeGreaterThanOrEqual(0.95);
  });

  it('a kept index with more rows than the model is not used', async () => {
    const dir = restartDir('rows');
    const small = cloneWeights(weights);
    const fewer = { ...small, numItems: 1100, itemEmb: small.itemEmb.slice(0, 1100 * D), itemBias: small.itemBias.slice(0, 1100) };
    const rejected: string[] = [];
    const { serving } = boot(dir, fewer, { observer: { restoreRejected: (kind, e) => rejected.push(`${kind}: ${e.message}`) } });
    await serving.start().idle();
    expect(rejected).toEqual([expect.stringMatching(/^mismatch: .*1200 rows, the model has 1100/)]);
    expect(serving.status()).toMatchObject({ builds: 1, indexedRows: 1100 });
  });

  const damages: [string, (dir: string, indexFile: string) => void][] = [
    ['a truncated index file', (dir, f) => truncateSync(join(dir, f), 1000)],
    ['an index file altered in place', (dir, f) => {
      const p = join(dir, f);
      const b = readFileSync(p);
      b[b.length >> 1] ^= 0x40;
      writeFileSync(p, b);
    }],
    ['a missing index file', (dir, f) => rmSync(join(dir, f))],
    ['a truncated meta', (dir) => truncateSync(join(dir, `${DB}-ann.meta`), 40)],
    ['a meta vouching for a truncated file (hnswlib refuses it)', (dir, f) => {
      const p = join(dir, f);
      truncateSync(p, 5000);
      const { header, fingerprints } = metaOf(dir);
      const b = readFileSync(p);
      writeFileSync(join(dir, `${DB}-ann.meta`), encodeKeptMeta({ ...header, indexBytes: b.length, indexCrc32: zlib.crc32(b) }, fingerprints));
    }],
  ];
  it.each(damages)('%s: rejected as corrupt, removed, rebuilt; the scan serves meanwhile', async (_, damage) => {
    const dir = restartDir('corrupt');
    const old = metaOf(dir).header.indexFile;
    damage(dir, old);
    const rejected: string[] = [];
    const { serving, top, exact } = boot(dir, weights, { observer: { restoreRejected: (kind) => rejected.push(kind) } });
    serving.start();
    expect(top(users[0])).toEqual(exact(users[0]));
    await serving.idle();
    expect(rejected).toEqual(['corrupt']);
    expect(serving.status()).toMatchObject({ ready: true, restoredFrom: null, builds: 1, restoreRejects: 1 });
    const { header } = metaOf(dir);
    expect(header.indexFile).not.toBe(old);
    expect(files(dir)).toEqual([`${DB}-ann.meta`, header.indexFile].sort());
  });

  it('sweeps what a crash left (an unnamed index file, a meta temp file, a dead process\'s build file) and keeps the kept pair', async () => {
    const dir = restartDir('crash');
    let dead = 4_000_000;
    while (dead > 1 && (() => { try { process.kill(dead, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code !== 'ESRCH'; } })()) dead--;
    const leftovers = [`${DB}-ann.999-1-abcdef.hnsw`, `${DB}-ann.meta.tmp`, `.edgerec-ann-${dead}-1.hnsw`];
    for (const f of leftovers) writeFileSync(join(dir, f), 'partial');
    writeFileSync(join(dir, `.edgerec-ann-${process.pid}-99.hnsw`), 'a live process\'s build'); // not ours to remove
    const { serving } = boot(dir, weights);
    await serving.start().idle();
    expect(serving.status()).toMatchObject({ restoredFrom: 'file', builds: 0 });
    expect(files(dir)).toEqual([`.edgerec-ann-${process.pid}-99.hnsw`, `${DB}-ann.meta`, metaOf(dir).header.indexFile].sort());
  });

  it('with keep off, what an earlier run kept is removed before the first build, and nothing new is kept', async () => {
    const dir = restartDir('off');
    const { serving } = boot(dir, weights, { ann: { keep: false } });
    await serving.start().idle();
    expect(serving.status()).toMatchObject({ restoredFrom: null, builds: 1, ready: true });
    expect(files(dir)).toEqual([]);
  });

  it('close() during a kept build leaves no file behind; without keepPath nothing is kept', async () => {
    const dir = tmp('close');
    let serving: AnnServing | undefined;
    let closing: Promise<void> | undefined;
    serving = boot(dir, weights, { observer: { progress: () => void (closing ??= serving!.close()) } }).serving;
    await serving.start().idle();
    await closing;
    expect(serving.status()).toMatchObject({ builds: 0, ready: false });
    expect(files(dir)).toEqual([]);

    const plain = new AnnServing({ holder: { model: new RecommenderModel(cloneWeights(weights), defaultModelConfig({ dim: D, adapterRank: 0 })), version: 0, onSwap: () => {} }, dir, options: OPTS });
    servings.push(plain);
    await plain.start().idle();
    expect(plain.status()).toMatchObject({ builds: 1 });
    expect(files(dir)).toEqual([]);
  });
});
