import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type EdgeDatabase, openEdgeDatabase } from './edge-database.js';

let dir: string;
let edb: EdgeDatabase;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgerec-outbox-'));
  edb = openEdgeDatabase(join(dir, 'edge.db'));
});
afterEach(() => {
  edb.close();
  rmSync(dir, { recursive: true, force: true });
});

const entry = (deltaId: string, createdAt: number) => ({
  deltaId, createdAt, baseVersion: 3, bytes: new Uint8Array([1, 2, 3]), meta: { codec: 'int8' },
});

describe('OutboxStore', () => {
  it('lists queued deltas oldest first and deletes one only when acked', () => {
    expect(edb.outbox.add(entry('d2', 20))).toBe(true);
    expect(edb.outbox.add(entry('d1', 10))).toBe(true);
    expect(edb.outbox.add(entry('d1', 30))).toBe(false);
    expect(edb.outbox.list().map((e) => e.deltaId)).toEqual(['d1', 'd2']);
    expect(edb.outbox.list(1)[0]).toEqual(entry('d1', 10));
    expect(edb.outbox.stats()).toEqual({ entries: 2, bytes: 6 });
    expect(edb.outbox.ack('d1')).toBe(true);
    expect(edb.outbox.ack('d1')).toBe(false);
    expect(edb.outbox.list().map((e) => e.deltaId)).toEqual(['d2']);
  });

  it('survives a reopen, so an unacked delta is re-sent after a crash', () => {
    edb.outbox.add(entry('d1', 10));
    edb.close();
    edb = openEdgeDatabase(join(dir, 'edge.db'));
    expect(edb.outbox.list().map((e) => e.deltaId)).toEqual(['d1']);
  });

  it('replaces and restores the error-feedback residual', () => {
    expect(edb.outbox.loadResidual(2)).toEqual({ dim: 2, rows: new Map(), adapter: null });
    const residual = { dim: 2, rows: new Map([[4, new Float32Array([0.5, -1, 2])]]), adapter: new Float32Array([0.25]) };
    edb.outbox.saveResidual(residual);
    expect(edb.outbox.loadResidual(2)).toEqual(residual);
    edb.outbox.saveResidual({ dim: 2, rows: new Map([[1, new Float32Array([1, 1, 1])]]), adapter: null });
    expect(edb.outbox.loadResidual(2)).toEqual({ dim: 2, rows: new Map([[1, new Float32Array([1, 1, 1])]]), adapter: null });
    expect(edb.outbox.loadResidual(3).rows.size).toBe(0);
  });
});
