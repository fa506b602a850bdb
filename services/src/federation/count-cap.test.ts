import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '@edgerec/proto-schemas';
import { createWeights, type ModelWeights, type SparseDelta } from '../model/weights.js';
import type { ClientUpdate } from './aggregation-strategy.js';
import { cappedWeights } from './capped-weights.js';
import { capNodeWeights, CountCap, CountCapParams } from './count-cap.js';
import { deltaOf } from './delta-builder.js';
import { createFedAvg } from './fed-avg.js';
import { createStrategy } from './strategy-registry.js';

const NUM_ITEMS = 8;
const DEFAULT = CountCapParams.parse({});
const U32_MAX = 0xffff_ffff;

/** One row of `value`s (dim 1) per touched row, with the given counts. */
const delta = (counts: Record<number, number>, value: number, adapter?: { count: number; value: number }): SparseDelta =>
  deltaOf({
    dim: 1,
    rows: Object.fromEntries(Object.keys(counts).map((r) => [r, [value]])),
    counts,
    ...(adapter ? { adapter: [adapter.value], adapterCount: adapter.count } : {}),
  });

/** dim 1, no adapter rank: the adapter is the single gate value. */
const base = (): ModelWeights => createWeights(NUM_ITEMS, 1, 0);

/** Each node's share of each row's weight (rows and the adapter, keyed 'adapter'), over the rows ≥ minNodes nodes touched. */
function shares(updates: readonly ClientUpdate[], weights: { rows: Float64Array[]; adapter: Float64Array }, minNodes: number) {
  const perRow = new Map<string, Map<string, number>>();
  const add = (row: string, node: string, w: number) => {
    if (!(w > 0)) return;
    const m = perRow.get(row) ?? new Map<string, number>();
    m.set(node, (m.get(node) ?? 0) + w);
    perRow.set(row, m);
  };
  updates.forEach((u, i) => {
    u.delta.rows.forEach((r, j) => add(String(r), u.nodeId, weights.rows[i][j]));
    add('adapter', u.nodeId, weights.adapter[i]);
  });
  const out: { row: string; node: string; share: number }[] = [];
  for (const [row, m] of perRow) {
    if (m.size < minNodes) continue;
    const total = [...m.values()].reduce((s, w) => s + w, 0);
    for (const [node, w] of m) out.push({ row, node, share: w / total });
  }
  return out;
}

/** Up to 7 nodes (some sending two updates), each touching a random subset of rows with any uint32 count. */
const roundArb = fc
  .array(
    fc.record({
      node: fc.integer({ min: 0, max: 6 }),
      counts: fc.dictionary(fc.integer({ min: 0, max: NUM_ITEMS - 1 }).map(String), fc.oneof(fc.integer({ min: 1, max: 50 }), fc.constant(U32_MAX), fc.integer({ min: 1, max: U32_MAX })), { minKeys: 1 }),
      adapterCount: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: U32_MAX })),
      weight: fc.oneof(fc.constant(1), fc.double({ min: 0.05, max: 1, noNaN: true })),
    }),
    { minLength: 1, maxLength: 10 },
  )
  .map((xs) => xs.map((x): ClientUpdate => ({
    nodeId: `n${x.node}`,
    delta: delta(Object.fromEntries(Object.entries(x.counts).map(([r, c]) => [Number(r), c])), 1, { count: x.adapterCount, value: 1 }),
    weight: x.weight,
  })));

const capArb = fc
  .record({ minNodes: fc.integer({ min: 2, max: 5 }), medianFactor: fc.option(fc.double({ min: 1, max: 10, noNaN: true }), { nil: null }), slack: fc.double({ min: 0, max: 1, noNaN: true }) })
  .map(({ minNodes, medianFactor, slack }) => CountCapParams.parse({ minNodes, medianFactor, maxNodeShare: 1 / minNodes + slack * (1 - 1 / minNodes) }));

describe('count cap', () => {
  it('lowers one inflated weight among honest ones to the median clip, then to the share cap', () => {
    const w = Float64Array.from([5, 4, 6, 1e9]);
    expect(capNodeWeights(w, 4, DEFAULT)).toBe(true);
    expect(Array.from(w)).toEqual([5, 4, 6, 11]); // 2 × median(4, 5, 6, 1e9) = 11; share 11/26 < 0.5
    const three = Float64Array.from([1, 1, 1e9]);
    capNodeWeights(three, 3, DEFAULT);
    expect(Array.from(three)).toEqual([1, 1, 2]); // median clip gives 2: share 0.5 exactly
    const shareOnly = Float64Array.from([1, 1, 1e9]);
    capNodeWeights(shareOnly, 3, CountCapParams.parse({ medianFactor: null }));
    expect(Array.from(shareOnly)).toEqual([1, 1, 2]); // water-filling: τ = 0.5 × (2 + τ)
  });

  it('leaves balanced honest weights alone', () => {
    const w = Float64Array.from([3, 5, 4, 6, 2]);
    expect(capNodeWeights(w, 5, DEFAULT)).toBe(false);
    expect(Array.from(w)).toEqual([3, 5, 4, 6, 2]);
  });

  it('property: whatever counts are claimed, no node holds more than maxNodeShare of a row touched by ≥ minNodes nodes', () => {
    fc.assert(
      fc.property(roundArb, capArb, (updates, cap) => {
        const w = cappedWeights(NUM_ITEMS, updates, cap);
        for (const s of shares(updates, w, cap.minNodes)) {
          expect(s.share, `${s.node} on row ${s.row}`).toBeLessThanOrEqual(cap.maxNodeShare * (1 + 1e-9));
        }
        // the cap only ever lowers weights
        updates.forEach((u, i) => u.delta.rowCounts.forEach((c, j) => expect(w.rows[i][j]).toBeLessThanOrEqual(c * (u.weight ?? 1) * (1 + 1e-12))));
      }),
      { numRuns: 300 },
    );
  });

  it('property: with the median clip, a node weighs at most medianFactor × the median node on any capped row', () => {
    fc.assert(
      fc.property(roundArb, (updates) => {
        const raw = cappedWeights(NUM_ITEMS, updates, false);
        const capped = cappedWeights(NUM_ITEMS, updates, DEFAULT);
        const perRow = new Map<number, { node: string; raw: number; capped: number }[]>();
        updates.forEach((u, i) => u.delta.rows.forEach((r, j) => {
          const list = perRow.get(r) ?? [];
          const e = list.find((x) => x.node === u.nodeId);
          if (e) {
            e.raw += raw.rows[i][j];
            e.capped += capped.rows[i][j];
          } else list.push({ node: u.nodeId, raw: raw.rows[i][j], capped: capped.rows[i][j] });
          perRow.set(r, list);
        }));
        for (const list of perRow.values()) {
          if (list.length < DEFAULT.minNodes) continue;
          const sorted = list.map((x) => x.raw).sort((a, b) => a - b);
          const k = sorted.length;
          const med = k % 2 ? sorted[(k - 1) / 2] : (sorted[k / 2 - 1] + sorted[k / 2]) / 2;
          for (const x of list) expect(x.capped).toBeLessThanOrEqual(2 * med * (1 + 1e-9));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('keeps claimed weights on rows fewer than minNodes nodes touched, and everywhere when off', () => {
    const updates: ClientUpdate[] = [
      { nodeId: 'a', delta: delta({ 0: 1, 1: 1 }, 1) },
      { nodeId: 'b', delta: delta({ 0: 1e9, 1: 7 }, 1) },
      { nodeId: 'c', delta: delta({ 1: 3 }, 1) },
    ];
    const w = cappedWeights(NUM_ITEMS, updates, DEFAULT);
    expect(w.rows[1][0]).toBe(1e9); // row 0: two nodes
    expect(w.rows[1][1]).toBe(4); // row 1: 7 → 2 × median(1, 3, 7) = 6 → share cap: 4 = 0.5 × (1 + 3 + 4)
    expect(cappedWeights(NUM_ITEMS, updates, false).rows[1][1]).toBe(7);
  });

  it('FedAvg: a node claiming 10⁹ on every row moves each row by at most its capped share; without the cap it owns the mean', () => {
    const honest = (id: string): ClientUpdate => ({ nodeId: id, delta: delta({ 2: 5, 3: 4 }, 1, { count: 5, value: 1 }) });
    const liar: ClientUpdate = { nodeId: 'liar', delta: delta({ 2: 1e9, 3: 1e9 }, -1, { count: 1e9, value: -1 }) };
    const updates = [honest('a'), honest('b'), honest('c'), liar];
    const capped = createFedAvg().aggregate(base(), updates);
    // row 2: weights 5, 5, 5 and the liar clipped to 2 × 5 = 10 → (15 − 10) / 25
    expect(capped.weights.itemEmb[2]).toBeCloseTo(0.2, 6);
    expect(capped.weights.adapter[0]).toBeCloseTo(0.2, 6);
    expect(capped.stats.countCut?.liar).toBeGreaterThan(0.999_999);
    expect(Object.keys(capped.stats.countCut ?? {})).toEqual(['liar']);
    const raw = createFedAvg({ countCap: false }).aggregate(base(), updates);
    expect(raw.weights.itemEmb[2]).toBeCloseTo(-1, 6);
    expect(raw.stats.countCut).toEqual({});
  });

  it('caps a node as a whole: splitting its claim over several updates does not buy more weight', () => {
    const honest = (id: string): ClientUpdate => ({ nodeId: id, delta: delta({ 4: 5 }, 1) });
    const part = (): ClientUpdate => ({ nodeId: 'liar', delta: delta({ 4: 1e9 }, -1) });
    const one = createFedAvg().aggregate(base(), [honest('a'), honest('b'), honest('c'), part()]);
    const many = createFedAvg().aggregate(base(), [honest('a'), honest('b'), honest('c'), part(), part(), part(), part()]);
    expect(many.weights.itemEmb[4]).toBeCloseTo(one.weights.itemEmb[4], 6);
  });

  it('is a strategy-spec knob: default on, `false` off, invalid caps refused', () => {
    const spec = (countCap: unknown) => createStrategy({ name: 'fedavgm', params: { momentum: 0 }, countCap });
    const updates = [
      ...['a', 'b', 'c'].map((id): ClientUpdate => ({ nodeId: id, delta: delta({ 1: 5 }, 1) })),
      { nodeId: 'liar', delta: delta({ 1: 1e9 }, -1) },
    ];
    expect(createStrategy({ name: 'krum', params: { f: 0 } }).aggregate(base(), updates).weights.itemEmb[1]).toBeCloseTo(0.2, 6);
    expect(spec(undefined).aggregate(base(), updates).weights.itemEmb[1]).toBeCloseTo(0.2, 6);
    expect(spec(false).aggregate(base(), updates).weights.itemEmb[1]).toBeCloseTo(-1, 6);
    expect(spec({ medianFactor: null, maxNodeShare: 0.4 }).aggregate(base(), updates).weights.itemEmb[1]).toBeCloseTo(0.2, 6);
    expect(CountCap.parse(undefined)).toEqual({ maxNodeShare: 0.5, medianFactor: 2, minNodes: 3 });
    for (const bad of [{ maxNodeShare: 0.2 }, { maxNodeShare: 0 }, { medianFactor: 0.5 }, { minNodes: 1 }, true]) {
      expect(() => spec(bad), JSON.stringify(bad)).toThrow(DomainError);
    }
  });
});
