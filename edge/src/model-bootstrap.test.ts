import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEdgeDatabase } from '@edgerec/services/store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateModel } from './model-bootstrap.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgerec-boot-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('loadOrCreateModel', () => {
  it('creates version 0 over a synthetic catalog in an empty database, deterministically per seed', () => {
    const a = openEdgeDatabase(join(dir, 'a.db'));
    const b = openEdgeDatabase(join(dir, 'b.db'));
    const first = loadOrCreateModel(a, { numItems: 12, dim: 4, seed: 9, clock: () => 0 });
    const second = loadOrCreateModel(b, { numItems: 12, dim: 4, seed: 9, clock: () => 0 });
    expect(first.created).toBe(true);
    expect(first.holder).toMatchObject({ version: 0, parent: null, lastSyncAt: null });
    expect(first.holder.catalog.idOf(11)).toBe('i11');
    expect(a.catalog.loadAll()).toHaveLength(12);
    expect(first.holder.model.weights).toEqual(second.holder.model.weights);
    a.close();
    b.close();
  });

  it('restores the stored model whatever the flags say about its shape, but applies new training knobs', () => {
    const path = join(dir, 'edge.db');
    const edb = openEdgeDatabase(path);
    const created = loadOrCreateModel(edb, { numItems: 12, dim: 4, seed: 9, clock: () => 0 });
    edb.close();
    const again = openEdgeDatabase(path);
    const restored = loadOrCreateModel(again, { numItems: 99, dim: 16, modelConfig: { proxMu: 0.5 }, seed: 1, clock: () => 0 });
    expect(restored.created).toBe(false);
    expect(restored.holder.numItems).toBe(12);
    expect(restored.holder.model.config).toMatchObject({ dim: 4, proxMu: 0.5 });
    expect(restored.holder.model.anchor).toBe(restored.holder.base);
    expect(restored.holder.model.weights).toEqual(created.holder.model.weights);
    again.close();
  });
});
