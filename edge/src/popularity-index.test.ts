import { describe, expect, it } from 'vitest';
import { PopularityIndex } from './popularity-index.js';

describe('PopularityIndex', () => {
  it('ranks by summed weight, breaking ties by the global bias, then by index', () => {
    const bias = new Float32Array([0, 0.5, -1, 2, 0]);
    const pop = new PopularityIndex(5, () => bias, () => 0, 1000, 0);
    expect(pop.top(5)).toEqual([3, 1, 0, 4, 2]);
    pop.add(2, 1);
    pop.add(4, 0.25);
    pop.add(4, 0.25);
    expect(pop.top(3)).toEqual([2, 4, 3]);
    expect(pop.top(3, new Set([2]))).toEqual([4, 3, 1]);
  });

  it('rebuilds a changed ranking at most every maxAgeMs, but at once after invalidate', () => {
    let now = 0;
    const pop = new PopularityIndex(4, () => new Float32Array(4), () => now, 10, 1000);
    expect(pop.top(1)).toEqual([0]);
    pop.add(3, 1);
    expect(pop.top(1)).toEqual([0]);
    now = 1000;
    expect(pop.top(1)).toEqual([3]);
    pop.remove(3, 5);
    pop.invalidate();
    expect(pop.top(1)).toEqual([0]);
    expect(pop.count(3)).toBe(0);
  });

  it('ranks the whole catalog when the cached head is all excluded', () => {
    const pop = new PopularityIndex(6, () => new Float32Array(6), () => 0, 2);
    expect(pop.top(2, new Set([0, 1]))).toEqual([2, 3]);
  });

  it('grows with the catalog', () => {
    const pop = new PopularityIndex(2, () => new Float32Array(3), () => 0, 1000, 0);
    pop.add(1, 1);
    pop.resize(3);
    pop.add(2, 5);
    expect(pop.top(3)).toEqual([2, 1, 0]);
  });
});
