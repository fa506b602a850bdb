import { describe, expect, it } from 'vitest';
import { DirtyRows } from './dirty-rows.js';
import { SeqWaiters } from './seq-waiters.js';

describe('SeqWaiters', () => {
  it('resolves a waiter once its seq is reached, and false on timeout or shutdown', async () => {
    let applied = 0;
    const waiters = new SeqWaiters(() => applied);
    const soon = waiters.wait(3, 10_000);
    const never = waiters.wait(99, 5);
    const atStop = waiters.wait(50, 10_000);
    applied = 3;
    waiters.release();
    expect(await soon).toBe(true);
    expect(await never).toBe(false);
    expect(waiters.size).toBe(1);
    waiters.releaseAll();
    expect(await atStop).toBe(false);
    expect(await waiters.wait(1, 0)).toBe(true);
  });
});

describe('DirtyRows', () => {
  it('reports rows whose update count moved, plus stored rows after a swap', () => {
    const counts = new Uint32Array([0, 2, 0, 1]);
    const dirty = new DirtyRows(counts, [3]);
    expect(dirty.collect(counts, false)).toEqual([]);
    counts[1] = 3;
    counts[2] = 1;
    expect(dirty.collect(counts, false)).toEqual([1, 2]);
    dirty.committed(counts, [1, 2]);
    expect(dirty.collect(counts, false)).toEqual([]);
    expect(dirty.collect(counts, true)).toEqual([1, 2, 3]);
    const grown = new Uint32Array([0, 3, 1, 1, 4]);
    expect(dirty.collect(grown, false)).toEqual([4]);
  });
});
