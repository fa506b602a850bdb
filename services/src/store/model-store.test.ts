import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ModelWeights } from '../model/weights.js';
import { type EdgeDatabase, openEdgeDatabase } from './edge-database.js';
import { EDGE_MIGRATIONS, migrate } from './migrations.js';
import { type ModelCheckpoint, type ModelMeta, weightsBlob } from './model-store.js';
import { openDatabase } from './open-database.js';

let dir: string;
let edb: EdgeDatabase;
const path = () => join(dir, 'edge.db');
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgerec-model-'));
  edb = openEdgeDatabase(path());
});
afterEach(() => {
  edb.close();
  rmSync(dir, { recursive: true, force: true });
});

const N = 5;
const D = 3;
function weights(seed: number): ModelWeights {
  return {
    numItems: N, dim: D,
    itemEmb: Float32Array.from({ length: N * D }, (_, i) => seed + i / 7),
    itemBias: Float32Array.from({ length: N }, (_, i) => seed - i / 3),
    adapter: Float32Array.from({ length: 2 * D + 1 }, (_, i) => seed * i),
  };
}
const meta: ModelMeta = {
  version: 2, parent: 1, numItems: N, dim: D, config: { dim: D }, lastSyncAt: null, adapterCount: 0, samples: 0,
  appliedSeq: 0, appliedCount: 0, appliedSeqSum: 0,
};
function checkpoint(w: ModelWeights, dirtyRows: number[], appliedSeq: number): ModelCheckpoint {
  return {
    weights: w, dirtyRows, itemAccum: new Float32Array(N).fill(0.5), counts: new Uint32Array(N).fill(3),
    adapterAccum: new Float64Array([1, 2, 3]), adapterCount: 4, samples: 9,
    appliedSeq, appliedCount: appliedSeq, appliedSeqSum: (appliedSeq * (appliedSeq + 1)) / 2,
  };
}

describe('ModelStore', () => {
  it('installs base weights and returns them with an empty overlay', () => {
    expect(edb.models.exists()).toBe(false);
    expect(edb.models.load()).toBeUndefined();
    const base = weights(1);
    edb.models.install(meta, base, checkpoint(base, [], 0), 10);
    const loaded = edb.models.load()!;
    expect(loaded.meta).toMatchObject({ version: 2, parent: 1, numItems: N, dim: D, config: { dim: D }, appliedSeq: 0 });
    expect(loaded.base).toEqual(base);
    expect(loaded.overlay.rows).toEqual(new Uint32Array(0));
  });

  it('upserts only dirty rows at a checkpoint and resumes the watermark after a reopen', () => {
    const base = weights(1);
    edb.models.install(meta, base, checkpoint(base, [], 0), 10);
    const local = weights(2);
    edb.models.checkpoint(checkpoint(local, [1, 3], 7), 11);
    edb.models.checkpoint(checkpoint(local, [3], 9), 12);
    edb.close();
    edb = openEdgeDatabase(path());
    const loaded = edb.models.load()!;
    expect(loaded.meta).toMatchObject({ appliedSeq: 9, appliedCount: 9, appliedSeqSum: 45, adapterCount: 4, samples: 9 });
    expect(Array.from(loaded.overlay.rows)).toEqual([1, 3]);
    expect(Array.from(loaded.overlay.emb.subarray(D, 2 * D))).toEqual(Array.from(local.itemEmb.subarray(3 * D, 4 * D)));
    expect(Array.from(loaded.overlay.bias)).toEqual([local.itemBias[1], local.itemBias[3]]);
    expect(Array.from(loaded.overlay.counts)).toEqual([3, 3]);
    expect(loaded.adapter).toEqual(local.adapter);
    expect(Array.from(loaded.adapterAccum)).toEqual([1, 2, 3]);
    expect(loaded.base).toEqual(base);
  });

  it('refuses a checkpoint before any model was installed', () => {
    expect(() => edb.models.checkpoint(checkpoint(weights(1), [0], 1), 1)).toThrow(/installed/);
  });

  it('leaves rows and watermark untouched when the enclosing transaction fails', () => {
    const base = weights(1);
    edb.models.install(meta, base, checkpoint(base, [], 0), 10);
    expect(() => edb.transaction(() => {
      edb.models.checkpoint(checkpoint(weights(5), [0, 1, 2], 50), 11);
      throw new Error('crash after the rows');
    })).toThrow('crash');
    const loaded = edb.models.load()!;
    expect(loaded.meta.appliedSeq).toBe(0);
    expect(loaded.overlay.rows.length).toBe(0);
  });

  it('install replaces the previous base and clears the overlay', () => {
    const base = weights(1);
    edb.models.install(meta, base, checkpoint(base, [], 0), 10);
    edb.models.checkpoint(checkpoint(weights(2), [0, 1], 3), 11);
    edb.models.install({ ...meta, version: 3, parent: 2 }, weights(7), checkpoint(weights(7), [4], 3), 12);
    const loaded = edb.models.load()!;
    expect(loaded.meta).toMatchObject({ version: 3, parent: 2, appliedSeq: 3 });
    expect(loaded.base).toEqual(weights(7));
    expect(Array.from(loaded.overlay.rows)).toEqual([4]);
  });
});

describe('ModelStore generations', () => {
  const live = (w: ModelWeights) => ({ dim: D, emb: w.itemEmb, bias: w.itemBias, accum: new Float32Array(N).fill(0.5), counts: new Uint32Array(N).fill(3) });
  const header = (w: ModelWeights, appliedSeq: number) => ({
    adapter: w.adapter, adapterAccum: new Float64Array([1, 2, 3]), adapterCount: 4, samples: 9,
    appliedSeq, appliedCount: appliedSeq, appliedSeqSum: 0,
  });
  const committedLoad = () => {
    edb.close();
    edb = openEdgeDatabase(path());
    return edb.models.load()!;
  };

  it('segments written ahead count only once their generation is committed', () => {
    const base = weights(1);
    edb.models.install(meta, base, checkpoint(base, [], 0), 10);
    const w = weights(2);
    const gen = edb.models.nextGeneration();
    edb.models.writeSegments(gen, [0, 2, 4], live(w), (_j, r) => r, 0, 2);
    edb.models.writeSegments(gen, [0, 2, 4], live(w), (_j, r) => r, 2, 3);
    expect(committedLoad().overlay.rows.length).toBe(0); // written, not committed: a crash here loses nothing
    edb.models.writeSegments(gen, [0, 2, 4], live(w), (_j, r) => r, 0, 3); // the retry drops the leftovers first
    edb.models.commitGeneration(gen, header(w, 7), false, 11);
    const loaded = committedLoad();
    expect(loaded.meta.appliedSeq).toBe(7);
    expect(Array.from(loaded.overlay.rows)).toEqual([0, 2, 4]);
    expect(Array.from(loaded.overlay.bias)).toEqual([w.itemBias[0], w.itemBias[2], w.itemBias[4]]);
    expect(edb.models.storedRows()).toBe(3);
  });

  it('a compacting checkpoint drops every older row, legacy per-row storage included', () => {
    const base = weights(1);
    edb.models.install(meta, base, checkpoint(base, [], 0), 10);
    const w = weights(3);
    edb.db.prepare('INSERT INTO model_rows (row, emb, bias, accum, count) VALUES (?, ?, ?, ?, ?)')
      .run(1, Buffer.from(new Float32Array([9, 9, 9]).buffer), 9, 9, 9); // a file from before segments
    edb.models.checkpoint(checkpoint(w, [1, 2], 5), 11);
    edb.models.checkpoint(checkpoint(w, [2], 6), 12);
    expect(edb.models.storedRows()).toBe(4);
    expect(Array.from(committedLoad().overlay.bias)).toEqual([w.itemBias[1], w.itemBias[2]]);
    edb.models.checkpoint({ ...checkpoint(w, [1, 2], 7), compact: true }, 13);
    expect(edb.models.storedRows()).toBe(2);
    const loaded = committedLoad();
    expect(Array.from(loaded.overlay.rows)).toEqual([1, 2]);
    expect(loaded.meta.appliedSeq).toBe(7);
  });
});

describe('ModelStore on a file from before segments (schema 5)', () => {
  it('keeps the base, the per-row overlay and the watermark through migration 6, and checkpoints on top', () => {
    edb.close();
    rmSync(path(), { force: true });
    const old = openDatabase(path());
    migrate(old, EDGE_MIGRATIONS.filter((m) => m.version <= 5));
    const base = weights(1);
    old.prepare(`INSERT INTO model_state (id, version, parent, num_items, dim, config, base, adapter, adapter_accum, adapter_count,
      samples, applied_seq, applied_count, applied_seq_sum, last_sync_at, updated_at)
      VALUES (1, 2, 1, ?, ?, '{}', ?, ?, ?, 4, 9, 7, 7, 28, 5, 0)`)
      .run(N, D, weightsBlob(base), Buffer.from(base.adapter.buffer), Buffer.from(new Float64Array(3).buffer));
    old.prepare('INSERT INTO model_rows (row, emb, bias, accum, count) VALUES (3, ?, 0.5, 0.25, 6)').run(Buffer.from(new Float32Array([7, 8, 9]).buffer));
    old.close();

    edb = openEdgeDatabase(path());
    const loaded = edb.models.load()!;
    expect(loaded.base).toEqual(base);
    expect(loaded.meta).toMatchObject({ version: 2, appliedSeq: 7, appliedSeqSum: 28, lastSyncAt: 5 });
    expect(Array.from(loaded.overlay.rows)).toEqual([3]);
    expect(Array.from(loaded.overlay.emb)).toEqual([7, 8, 9]);
    const w = weights(2);
    edb.models.checkpoint(checkpoint(w, [1], 8), 1);
    const after = edb.models.load()!;
    expect(Array.from(after.overlay.rows)).toEqual([1, 3]);
    expect(after.base).toEqual(base);
  });
});
