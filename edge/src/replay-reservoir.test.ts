import { SeededRandom } from '@edgerec/services/data';
import { describe, expect, it } from 'vitest';
import { ReplayReservoir } from './replay-reservoir.js';

const sample = (n: number) => ({ user: `u${n % 3}`, itemIdx: n, weight: 1 });

describe('ReplayReservoir', () => {
  it('holds at most capacity samples and keeps each past event with equal chance', () => {
    const hits = new Float64Array(100);
    const rng = new SeededRandom(5);
    for (let trial = 0; trial < 2000; trial++) {
      const r = new ReplayReservoir(10);
      for (let n = 0; n < 100; n++) r.offer(sample(n), rng.nextFloat);
      expect(r.size).toBe(10);
      for (const e of r.dirtyEntries()) hits[e.itemIdx]++;
    }
    // Each event should survive with probability 10/100: 200 of 2000 trials.
    const early = hits.slice(0, 50).reduce((a, b) => a + b) / 50;
    const late = hits.slice(50).reduce((a, b) => a + b) / 50;
    expect(early).toBeGreaterThan(170);
    expect(early).toBeLessThan(230);
    expect(late).toBeGreaterThan(170);
    expect(late).toBeLessThan(230);
  });

  it('empties an erased user\'s slots and restores persisted slots in place', () => {
    const rng = new SeededRandom(1).nextFloat;
    const r = new ReplayReservoir(6);
    for (let n = 0; n < 6; n++) r.offer(sample(n), rng);
    r.removeUser('u1');
    expect(r.size).toBe(4);
    const persisted = r.dirtyEntries();
    expect(persisted.some((e) => e.user === 'u1')).toBe(false);
    const back = new ReplayReservoir(6);
    back.restore(persisted, r.seen);
    expect(back.dirtyEntries()).toEqual([]);
    expect(back.size).toBe(4);
    expect(back.seen).toBe(6);
    for (let i = 0; i < 50; i++) expect(back.sample(rng)?.user ?? 'empty').not.toBe('u1');
  });

  it('does nothing with capacity 0', () => {
    const r = new ReplayReservoir(0);
    r.offer(sample(1), Math.random);
    expect(r.sample(Math.random)).toBeUndefined();
  });
});
