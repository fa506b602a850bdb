import { performance } from 'node:perf_hooks';
import { createWeights, type ModelWeights } from '../src/model/weights.js';
import type { ClientUpdate } from '../src/federation/aggregation-strategy.js';
import { createStrategy, type StrategySpecInput } from '../src/federation/strategy-registry.js';
import { mulberry32 } from '../src/common/seeded-rng.js';
import { syntheticDelta } from '../src/federation/synthetic-delta.js';

export interface AggregateBenchOptions {
  /** client updates per round (default 100) */
  nodes?: number;
  /** item rows in the model (default 10 000) */
  rows?: number;
  dim?: number;
  /** fraction of the rows each node touched (default 0.1) */
  touched?: number;
  /** adapter rank of the model (default 4) */
  adapterRank?: number;
  seed?: number;
  /** timed repetitions per implementation; the median is reported (default 5) */
  repeats?: number;
  /** strategy under test (default sparse FedAvg) */
  strategy?: StrategySpecInput;
}

export interface AggregateBenchResult {
  strategy: string;
  nodes: number;
  rows: number;
  dim: number;
  touched_rows_per_node: number;
  /** median wall time of one `strategy.aggregate` call */
  aggregate_ms: number;
  /** median wall time of the naive baseline on the same input */
  baseline_ms: number;
  /** baseline_ms / aggregate_ms */
  ratio: number;
  /** largest |strategy − baseline| over all weights (only meaningful for fedavg; else null) */
  max_abs_diff: number | null;
}

/**
 * Times one aggregation round of the typed-array strategy against a naive baseline in the
 * same run: per-node Map-of-rows JS objects (number[] per row) averaged row by row, the way
 * one would write it without thinking about memory layout. Both compute sparse count-weighted
 * FedAvg, so for `fedavg` the results are also compared.
 *
 * @example
 * const r = runAggregateBench({ nodes: 100, rows: 10_000, dim: 64, seed: 7 });
 * console.log(JSON.stringify(r)); // { aggregate_ms, baseline_ms, ratio, … }
 */
export function runAggregateBench(opts: AggregateBenchOptions = {}): AggregateBenchResult {
  const { nodes = 100, rows = 10_000, dim = 64, touched = 0.1, adapterRank = 4, seed = 7, repeats = 5 } = opts;
  const spec = opts.strategy ?? { name: 'fedavg' };
  const rng = mulberry32(seed);
  const base = createWeights(rows, dim, adapterRank);
  for (let i = 0; i < base.itemEmb.length; i++) base.itemEmb[i] = (rng() - 0.5) * 0.1;
  const perNode = Math.max(1, Math.round(rows * touched));
  const updates: ClientUpdate[] = Array.from({ length: nodes }, (_, i) => ({
    nodeId: `edge-${i}`,
    delta: syntheticDelta(rng, { numItems: rows, dim, rows: perNode, adapterLength: base.adapter.length }),
  }));

  // Fresh strategy per repetition so stateful ones time a comparable first round.
  let result: ModelWeights = base;
  const aggregate_ms = medianTime(repeats, () => {
    result = createStrategy(spec).aggregate(base, updates).weights;
  });
  let naive: ModelWeights = base;
  const baseline_ms = medianTime(repeats, () => {
    naive = naiveFedAvg(base, updates);
  });
  const name = typeof spec === 'object' && spec && 'name' in spec ? String(spec.name) : 'fedavg';
  return {
    strategy: name,
    nodes, rows, dim,
    touched_rows_per_node: perNode,
    aggregate_ms: round(aggregate_ms),
    baseline_ms: round(baseline_ms),
    ratio: round(baseline_ms / aggregate_ms),
    max_abs_diff: name === 'fedavg' ? maxAbsDiff(result, naive) : null,
  };
}

/** Naive sparse FedAvg over JS objects: what the strategy is measured against. */
export function naiveFedAvg(base: ModelWeights, updates: readonly ClientUpdate[]): ModelWeights {
  const { dim } = base;
  const sums = new Map<number, { emb: number[]; bias: number; w: number }>();
  let adapterSum: number[] | null = null;
  let adapterW = 0;
  for (const u of updates) {
    const d = u.delta;
    const sw = u.weight ?? 1;
    // per-node Map of rows, as a straightforward decoder would hand it over
    const byRow = new Map<number, { emb: number[]; bias: number; count: number }>();
    d.rows.forEach((r, j) => {
      byRow.set(r, { emb: Array.from(d.emb.subarray(j * dim, (j + 1) * dim)), bias: d.bias[j], count: d.rowCounts[j] });
    });
    for (const [r, row] of byRow) {
      const w = row.count * sw;
      if (!(w > 0)) continue;
      const acc = sums.get(r) ?? { emb: new Array<number>(dim).fill(0), bias: 0, w: 0 };
      acc.emb = acc.emb.map((x, k) => x + w * row.emb[k]);
      acc.bias += w * row.bias;
      acc.w += w;
      sums.set(r, acc);
    }
    if (d.adapter && d.adapterCount * sw > 0) {
      const w = d.adapterCount * sw;
      const a = Array.from(d.adapter);
      adapterSum = adapterSum ? adapterSum.map((x, i) => x + w * a[i]) : a.map((x) => w * x);
      adapterW += w;
    }
  }
  const itemEmb = Array.from(base.itemEmb);
  const itemBias = Array.from(base.itemBias);
  for (const [r, acc] of sums) {
    acc.emb.forEach((x, k) => (itemEmb[r * dim + k] += x / acc.w));
    itemBias[r] += acc.bias / acc.w;
  }
  const adapter = Array.from(base.adapter);
  if (adapterSum) adapterSum.forEach((x, i) => (adapter[i] += x / adapterW));
  return {
    numItems: base.numItems, dim,
    itemEmb: Float32Array.from(itemEmb), itemBias: Float32Array.from(itemBias), adapter: Float32Array.from(adapter),
  };
}

function medianTime(repeats: number, fn: () => void): number {
  fn(); // warm-up: JIT and allocation of first-touch pages
  const times: number[] = [];
  for (let i = 0; i < Math.max(1, repeats); i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

function maxAbsDiff(a: ModelWeights, b: ModelWeights): number {
  let m = 0;
  for (const [x, y] of [[a.itemEmb, b.itemEmb], [a.itemBias, b.itemBias], [a.adapter, b.adapter]] as const) {
    for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  }
  return m;
}

const round = (x: number): number => Math.round(x * 1000) / 1000;
