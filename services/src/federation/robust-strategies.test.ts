import { describe, expect, it } from 'vitest';
import { createWeights, type ModelWeights, type SparseDelta } from '../model/weights.js';
import type { AggregationStrategy, ClientUpdate } from './aggregation-strategy.js';
import { createFedAvg } from './fed-avg.js';
import { createCoordinateMedian } from './coordinate-median.js';
import { createTrimmedMean, trimCount } from './trimmed-mean.js';
import { createKrum } from './krum.js';
import { deltaOf } from './delta-builder.js';
import { scaleDelta } from './delta-norms.js';
import { gaussian, mulberry32 } from '../common/seeded-rng.js';

const NUM_ITEMS = 60;
const DIM = 8;
const ROWS = 20;

/**
 * 10 nodes touching the same 20 rows: 8 honest ones send a shared direction (|μ| ≈ 0.1)
 * plus noise (σ = 0.01); one sends an honest-looking update × 100, one a sign-flipped one.
 * Both attackers also claim huge row counts.
 */
function scenario(): { base: ModelWeights; updates: ClientUpdate[]; cleanMean: Float64Array } {
  const rng = mulberry32(2024);
  const normal = gaussian(rng);
  const base = createWeights(NUM_ITEMS, DIM, 1);
  const mu = Float64Array.from({ length: ROWS * DIM }, () => 0.1 * Math.sign(normal()) + 0.02 * normal());
  const honest = (): SparseDelta => {
    const rows: Record<number, number[]> = {};
    for (let r = 0; r < ROWS; r++) rows[r * 3] = Array.from({ length: DIM }, (_, k) => mu[r * DIM + k] + 0.01 * normal());
    return deltaOf({ dim: DIM, rows, counts: Object.fromEntries(Object.keys(rows).map((r) => [r, 2])) });
  };
  const clean = Array.from({ length: 8 }, honest);
  const cleanMean = new Float64Array(ROWS * DIM);
  for (const d of clean) for (let i = 0; i < cleanMean.length; i++) cleanMean[i] += d.emb[i] / clean.length;
  const withCounts = (d: SparseDelta): SparseDelta => ({ ...d, rowCounts: d.rowCounts.map(() => 1000) });
  const updates: ClientUpdate[] = [
    ...clean.map((delta, i) => ({ nodeId: `honest-${i}`, delta })),
    { nodeId: 'scaled', delta: withCounts(scaleDelta(honest(), 100)) },
    { nodeId: 'flipped', delta: withCounts(scaleDelta(honest(), -1)) },
  ];
  return { base, updates, cleanMean };
}

function maxDeviation(w: ModelWeights, cleanMean: Float64Array): number {
  let worst = 0;
  for (let r = 0; r < ROWS; r++) {
    for (let k = 0; k < DIM; k++) worst = Math.max(worst, Math.abs(w.itemEmb[r * 3 * DIM + k] - cleanMean[r * DIM + k]));
  }
  return worst;
}

const robust: [string, () => AggregationStrategy][] = [
  ['coordinate median', () => createCoordinateMedian()],
  ['trimmed mean (β = 0.1)', () => createTrimmedMean({ beta: 0.1 })],
  ['multi-krum (f = 2)', () => createKrum({ f: 2 })],
];

describe('robust aggregation against one ×100 and one sign-flipped update among 10', () => {
  it('plain FedAvg is dragged far from the clean mean (control)', () => {
    const { base, updates, cleanMean } = scenario();
    expect(maxDeviation(createFedAvg().aggregate(base, updates).weights, cleanMean)).toBeGreaterThan(1);
  });

  it.each(robust)('%s stays close to the clean mean and flags both attackers', (_, make) => {
    const { base, updates, cleanMean } = scenario();
    const { weights, stats } = make().aggregate(base, updates);
    expect(maxDeviation(weights, cleanMean)).toBeLessThan(0.03);
    expect(stats.outliers).toEqual(expect.arrayContaining(['scaled', 'flipped']));
    expect(stats.outliers.filter((id) => id.startsWith('honest')).length).toBeLessThanOrEqual(1);
    expect(stats.rowsUpdated).toBe(ROWS);
  });
});

describe('coordinate-wise strategies on sparsely touched rows', () => {
  const b = () => createWeights(4, 1, 0);
  const u = (nodeId: string, rows: Record<number, number[]>): ClientUpdate => ({ nodeId, delta: deltaOf({ dim: 1, rows }) });

  it('trim count rounds up and always keeps a value', () => {
    expect([1, 2, 3, 4, 5, 10, 11, 20].map((n) => trimCount(n, 0.1))).toEqual([0, 0, 1, 1, 1, 1, 2, 2]);
    expect(trimCount(10, 0)).toBe(0);
  });

  it('use only the nodes that touched a row: 3 nodes → the median, 2 → the mean, 1 → its value', () => {
    const updates = [u('a', { 0: [1], 1: [1], 2: [5] }), u('b', { 0: [2], 1: [3] }), u('c', { 0: [300] })];
    const w = createTrimmedMean({ beta: 0.1 }).aggregate(b(), updates).weights;
    expect(Array.from(w.itemEmb)).toEqual([2, 2, 5, 0]);
    const m = createCoordinateMedian().aggregate(b(), updates).weights;
    expect(Array.from(m.itemEmb)).toEqual([2, 2, 5, 0]);
  });

  it('leave rows touched by fewer than minNodes nodes unchanged', () => {
    const updates = [u('a', { 0: [1], 2: [5] }), u('b', { 0: [3] })];
    const w = createCoordinateMedian({ minNodes: 2 }).aggregate(b(), updates);
    expect(Array.from(w.weights.itemEmb)).toEqual([2, 0, 0, 0]);
    expect(w.stats.rowsUpdated).toBe(1);
  });

  it('krum reports the rejected nodes and averages the kept ones with FedAvg', () => {
    const updates = [u('a', { 0: [1] }), u('b', { 0: [1.2] }), u('c', { 0: [0.8] }), u('d', { 0: [50] })];
    const { weights, stats } = createKrum({ f: 1 }).aggregate(b(), updates);
    expect(stats.outliers).toEqual(['d']);
    expect(weights.itemEmb[0]).toBeCloseTo(1, 6);
  });
});
