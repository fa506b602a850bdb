import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openEdgeDatabase } from './edge-database.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('SyncReferenceStore', () => {
  it('keeps the extracted rows across a reopen, upserts them and clears them on a new base', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgerec-syncref-'));
    dirs.push(dir);
    const path = join(dir, 'edge.db');
    let edb = openEdgeDatabase(path);
    expect(edb.syncRef.load()).toEqual({ rows: new Map(), adapter: null });
    edb.transaction(() => edb.syncRef.put([[3, new Float32Array([1, 2, 3])], [7, new Float32Array([4, 5, 6])]], new Float32Array([0.5])));
    edb.syncRef.put([[3, new Float32Array([9, 9, 9])]], null);
    edb.close();
    edb = openEdgeDatabase(path);
    expect(edb.syncRef.load()).toEqual({
      rows: new Map([[3, new Float32Array([9, 9, 9])], [7, new Float32Array([4, 5, 6])]]), adapter: new Float32Array([0.5]),
    });
    edb.syncRef.clear();
    expect(edb.syncRef.load()).toEqual({ rows: new Map(), adapter: null });
    edb.close();
  });
});
