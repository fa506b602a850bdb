import { describe, expect, it } from 'vitest';
import { createWeights } from '../model/weights.js';
import { createFedAvg } from './fed-avg.js';
import { withGaussianDp } from './dp-gaussian.js';
import { rdpEpsilon, rdpEpsilonDetail, sampledGaussianRdp } from './rdp-accountant.js';
import { deltaOf } from './delta-builder.js';
import { mulberry32 } from '../common/seeded-rng.js';

describe('Gaussian DP wrapper', () => {
  it('adds noise with std z·C/n to every coordinate', () => {
    const base = createWeights(500, 16, 2);
    const zero = deltaOf({ dim: 16, rows: { 3: Array(16).fill(0) } });
    const s = withGaussianDp(createFedAvg(), { clip: 2, noiseMultiplier: 1, rng: mulberry32(7) });
    const updates = ['a', 'b', 'c', 'd'].map((nodeId) => ({ nodeId, delta: zero }));
    const { weights, stats } = s.aggregate(base, updates);
    const values = [...weights.itemEmb, ...weights.itemBias, ...weights.adapter];
    const mean = values.reduce((a, x) => a + x, 0) / values.length;
    const std = Math.sqrt(values.reduce((a, x) => a + (x - mean) ** 2, 0) / values.length);
    // expected 1·2/4 = 0.5; ~8.5k samples give a standard error of ≈ 0.004 on the std
    expect(std).toBeGreaterThan(0.5 * 0.97);
    expect(std).toBeLessThan(0.5 * 1.03);
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(stats.dp).toEqual({ clip: 2, noiseMultiplier: 1, noiseStd: 0.5 });
    expect(stats.rowsUpdated).toBe(500);
  });

  it('averages clipped deltas over all n nodes (fixed denominator) when z = 0', () => {
    const base = createWeights(3, 2, 0);
    const s = withGaussianDp(createFedAvg(), { clip: 1, noiseMultiplier: 0, rng: mulberry32(1) });
    const { weights, stats } = s.aggregate(base, [
      { nodeId: 'a', delta: deltaOf({ dim: 2, rows: { 0: [3, 4] } }) },
      { nodeId: 'b', delta: deltaOf({ dim: 2, rows: { 1: [0.1, 0] } }) },
    ]);
    expect(Array.from(weights.itemEmb).map((x) => +x.toFixed(6))).toEqual([0.3, 0.4, 0.05, 0, 0, 0]);
    expect(stats.clipped).toEqual(['a']);
  });

  it('draws the same noise for the same seed', () => {
    const base = createWeights(20, 4, 0);
    const run = () =>
      withGaussianDp(createFedAvg(), { clip: 1, noiseMultiplier: 1, rng: mulberry32(3) })
        .aggregate(base, [{ nodeId: 'a', delta: deltaOf({ dim: 4, rows: {} }) }]).weights;
    expect(run()).toEqual(run());
  });
});

/** Standard normal CDF via erfc (Numerical Recipes erfcc, relative error < 1.2e-7). */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - r / 2 : r / 2;
}

/** Exact ε of the Gaussian mechanism (Balle & Wang 2018) for sensitivity 1 and std z. */
function exactGaussianEpsilon(z: number, delta: number): number {
  const mu = 1 / z;
  const deltaOf = (eps: number) => phi(mu / 2 - eps / mu) - Math.exp(eps) * phi(-mu / 2 - eps / mu);
  let lo = 0;
  let hi = 100;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (deltaOf(mid) > delta) lo = mid;
    else hi = mid;
  }
  return hi;
}

describe('RDP accountant', () => {
  it('upper-bounds and stays close to the exact ε of a single Gaussian release', () => {
    for (const z of [0.8, 1, 2, 4]) {
      const exact = exactGaussianEpsilon(z, 1e-5);
      const rdp = rdpEpsilon(z, 1, 1, 1e-5);
      expect(rdp).toBeGreaterThanOrEqual(exact);
      expect(rdp).toBeLessThan(exact * 1.35);
    }
  });

  it('matches the direct binomial sum of the sampled Gaussian RDP at small orders', () => {
    const q = 0.1;
    const z = 2;
    for (const a of [2, 3, 5, 8]) {
      let A = 0;
      let binom = 1;
      for (let k = 0; k <= a; k++) {
        if (k > 0) binom = (binom * (a - k + 1)) / k;
        A += binom * (1 - q) ** (a - k) * q ** k * Math.exp((k * k - k) / (2 * z * z));
      }
      expect(sampledGaussianRdp(q, z, a)).toBeCloseTo(Math.log(A) / (a - 1), 10);
    }
  });

  it('ε falls with more noise and rises with more rounds and higher sampling rates', () => {
    const eps = (z: number, q: number, t: number) => rdpEpsilon(z, q, t, 1e-5);
    const byNoise = [0.7, 1, 1.5, 3, 10].map((z) => eps(z, 0.05, 500));
    byNoise.slice(1).forEach((e, i) => expect(e).toBeLessThan(byNoise[i]));
    expect(eps(1.1, 0.05, 1000)).toBeGreaterThan(eps(1.1, 0.05, 100));
    expect(eps(1.1, 0.1, 100)).toBeGreaterThan(eps(1.1, 0.01, 100));
    expect(eps(1.1, 0.01, 100)).toBeLessThan(eps(1.1, 1, 100) / 10); // amplification by sampling
    expect(rdpEpsilon(0, 0.1, 10, 1e-5)).toBe(Infinity);
  });

  it('reports the optimal order and rejects invalid arguments', () => {
    const d = rdpEpsilonDetail(1.1, 0.01, 1000, 1e-5);
    expect(d.order).toBeGreaterThan(2);
    expect(d.order).toBeLessThan(256);
    expect(() => rdpEpsilon(1, 1.5, 1, 1e-5)).toThrow(RangeError);
    expect(() => rdpEpsilon(1, 0.5, 1, 0)).toThrow(RangeError);
  });
});
