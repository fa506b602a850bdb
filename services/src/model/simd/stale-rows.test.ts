import { describe, expect, it } from 'vitest';
import { StaleRows } from './stale-rows.js';

describe('StaleRows', () => {
  it('starts all-stale, then lists each marked row once and forgets them when taken', () => {
    const stale = new StaleRows(10, new Int32Array(4));
    expect(stale.take()).toEqual({ all: true, count: 0 });
    expect(stale.clean).toBe(true);
    for (const r of [3, 7, 3, -1, 10, 2.5]) stale.mark(r);
    expect(stale.isStale(3) && stale.isStale(7) && !stale.isStale(4)).toBe(true);
    expect(stale.take()).toEqual({ all: false, count: 3 });
    expect(Array.from(stale.list.subarray(0, 3))).toEqual([3, 7, 2]);
    expect(stale.isStale(3)).toBe(false);
    expect(stale.clean).toBe(true);
  });

  it('turns into a whole rebuild once more distinct rows are marked than the list holds', () => {
    const stale = new StaleRows(100, new Int32Array(4));
    stale.take();
    for (let r = 0; r < 5; r++) stale.mark(r);
    expect(stale.pending).toEqual({ all: true, count: 4 });
    expect(stale.isStale(99)).toBe(true);
    expect(stale.take().all).toBe(true);
    expect(stale.isStale(0)).toBe(false);
  });
});
