import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sampleWithoutReplacement } from './sample-without-replacement.js';
import { SeededRandom } from './seeded-random.js';

describe('sampleWithoutReplacement', () => {
  it('returns distinct, non-excluded indices, all of them when fewer remain than asked', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -20, max: 20, noNaN: true }), { minLength: 1, maxLength: 60 }),
        fc.nat(80),
        fc.nat(),
        (raw, n, seed) => {
          const logits = Float64Array.from(raw);
          const exclude = Uint8Array.from(raw, (_, i) => (i % 3 === 0 ? 1 : 0));
          const picks = sampleWithoutReplacement(logits, n, new SeededRandom(seed), exclude);
          const allowed = raw.length - exclude.reduce((s, x) => s + x, 0);
          expect(picks.length).toBe(Math.min(n, allowed));
          expect(new Set(picks).size).toBe(picks.length);
          for (const i of picks) expect(exclude[i]).toBe(0);
        },
      ),
    );
  });

  it('draws the first item in proportion to softmax(logits)', () => {
    const logits = Float64Array.of(0, Math.log(3), -Infinity, Math.log(6));
    const rng = new SeededRandom(11);
    const first = [0, 0, 0, 0];
    const trials = 20000;
    for (let t = 0; t < trials; t++) first[sampleWithoutReplacement(logits, 2, rng)[0]]++;
    expect(first[2]).toBe(0);
    expect(first[0] / trials).toBeCloseTo(0.1, 1);
    expect(first[1] / trials).toBeCloseTo(0.3, 1);
    expect(first[3] / trials).toBeCloseTo(0.6, 1);
  });

  it('matches sequential renormalised draws for the second item, also after CDF rebuilds', () => {
    // P(second = 0 | first = 2) = 1/(1+3) under sequential sampling; the dominant item
    // forces rejections and a CDF rebuild when we ask for everything.
    const logits = Float64Array.of(0, Math.log(3), Math.log(1000));
    const rng = new SeededRandom(5);
    let firstIs2 = 0;
    let secondIs0 = 0;
    for (let t = 0; t < 20000; t++) {
      const p = sampleWithoutReplacement(logits, 3, rng);
      if (p[0] === 2) {
        firstIs2++;
        if (p[1] === 0) secondIs0++;
      }
    }
    expect(secondIs0 / firstIs2).toBeCloseTo(0.25, 1);
  });

  it('still draws items whose weight underflows, in logit order, through the Gumbel fallback', () => {
    const logits = Float64Array.of(-900, 0, -800);
    for (let seed = 0; seed < 20; seed++) {
      expect([...sampleWithoutReplacement(logits, 5, new SeededRandom(seed))]).toEqual([1, 2, 0]);
    }
  });
});
