import type { EvalRow } from './report-queries.js';

/** Users-weighted federated metrics of one model version in one region. */
export interface RegionVersionMetrics {
  version: number;
  region: string;
  hr10: number;
  ndcg10: number;
  users: number;
  nodes: number;
  /** hr10 minus the same region's hr10 on the previous version that has numbers there */
  hr10Drift: number | null;
}

/** Region label used for nodes central never saw a status from. */
export const UNKNOWN_REGION = '?';

/**
 * Merges the edges' federated evaluations per (version, region), weighting each node by its
 * test users (HR and NDCG are means over users, so this is the metric over the union), and
 * the drift of each region's HR@10 from one version to the next. Pure.
 *
 * @example
 * regionMetrics([{ nodeId: 'a', version: 2, hr10: 0.5, ndcg10: 0.3, users: 10, ts: 0 }], { a: 'eu' });
 * // [{ version: 2, region: 'eu', hr10: 0.5, ndcg10: 0.3, users: 10, nodes: 1, hr10Drift: null }]
 */
export function regionMetrics(evals: readonly EvalRow[], regions: Readonly<Record<string, string | null>>): RegionVersionMetrics[] {
  const acc = new Map<string, { version: number; region: string; hits: number; ndcg: number; users: number; nodes: number }>();
  for (const e of evals) {
    if (e.users <= 0) continue;
    const region = regions[e.nodeId] ?? UNKNOWN_REGION;
    const key = `${e.version}\u0000${region}`;
    const a = acc.get(key) ?? { version: e.version, region, hits: 0, ndcg: 0, users: 0, nodes: 0 };
    a.hits += e.hr10 * e.users;
    a.ndcg += e.ndcg10 * e.users;
    a.users += e.users;
    a.nodes += 1;
    acc.set(key, a);
  }
  const rows = [...acc.values()]
    .map((a) => ({ version: a.version, region: a.region, hr10: a.hits / a.users, ndcg10: a.ndcg / a.users, users: a.users, nodes: a.nodes }))
    .sort((x, y) => x.version - y.version || x.region.localeCompare(y.region));
  const last = new Map<string, number>();
  return rows.map((r) => {
    const prev = last.get(r.region);
    last.set(r.region, r.hr10);
    return { ...r, hr10Drift: prev === undefined ? null : r.hr10 - prev };
  });
}

/** Mean, median and max of a set of update norms (null when empty). */
export function normSummary(norms: Readonly<Record<string, number>> | undefined): { mean: number; median: number; max: number } | null {
  const xs = Object.values(norms ?? {}).filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = xs.length >> 1;
  const median = xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
  return { mean: xs.reduce((s, x) => s + x, 0) / xs.length, median, max: xs[xs.length - 1] };
}
