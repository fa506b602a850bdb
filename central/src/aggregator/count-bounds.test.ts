import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultModelConfig } from '@edgerec/services/model';
import { KV_KEYS, openCentralStore, type CentralStore } from '../store/index.js';
import { MAX_ROWS_PER_SAMPLE, rowsPerSample, rowsPerSampleOf } from './count-bounds.js';

let dir: string | null = null;
let store: CentralStore | null = null;
afterEach(() => {
  store?.close();
  store = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

describe('rows per sample', () => {
  it('is positive + negatives + history rows, and the history only when it gets gradients', () => {
    expect(rowsPerSample(defaultModelConfig())).toBe(25);
    expect(rowsPerSample(defaultModelConfig({ negatives: 8, historyLen: 50 }))).toBe(59);
    expect(rowsPerSample(defaultModelConfig({ historyGrad: false }))).toBe(5);
    expect(MAX_ROWS_PER_SAMPLE).toBe(1 + 256 + 512);
  });

  it('comes from the model config central recorded, or the schema maximum without one', () => {
    dir = mkdtempSync(join(tmpdir(), 'count-bounds-'));
    store = openCentralStore(join(dir, 'central.sqlite'));
    // a store without the record (one created before central kept it)
    expect(rowsPerSampleOf(store)).toBe(MAX_ROWS_PER_SAMPLE);
    store.kv.set(KV_KEYS.modelConfig, { numItems: 10, config: defaultModelConfig({ negatives: 2, historyLen: 10 }), seed: 7 });
    expect(rowsPerSampleOf(store)).toBe(13);
    store.kv.set(KV_KEYS.modelConfig, { numItems: 10, config: { negatives: -1 }, seed: 7 });
    expect(rowsPerSampleOf(store)).toBe(MAX_ROWS_PER_SAMPLE);
  });
});
