import type { CentralStore } from '../store/index.js';

/** What happened in one federated round, as central recorded it. */
export interface RoundLogEntry {
  round: number;
  /** promoted | rejected (gate or aggregation failure) | the state it was left in */
  outcome: string;
  base_version: number;
  candidate: number | null;
  /** deltas aggregated, and the nodes they came from */
  nodes: number;
  aggregated: string[];
  /** the gate's (or the failure's) reason */
  reason: string | null;
  /** candidate and current model on central's holdout (absent without a holdout) */
  'holdout_hr@10'?: number;
  'baseline_hr@10'?: number;
  /** nodes a robust strategy rejected or flagged, and nodes norm clipping scaled down */
  outliers: string[];
  clipped: string[];
  clip_norm?: number;
  /** nodes whose claimed row counts the count cap lowered → fraction of their weight removed */
  count_cut?: Record<string, number>;
  /** median L2 norm of the received deltas, and the largest one with its node */
  norm_median?: number;
  norm_max?: { node: string; norm: number };
}

const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * The log entry of round `id` from central's `rounds` table (aggregation stats and gate
 * metrics), null when the round is unknown.
 *
 * @example
 * roundLogEntry(central.store, 3); // { round: 3, outcome: 'rejected', reason: 'candidate hr@10 0.1200 < current …', … }
 */
export function roundLogEntry(store: CentralStore, id: number): RoundLogEntry | null {
  const r = store.rounds.get(id);
  if (!r) return null;
  const s = r.stats ?? {};
  const gate = (s.gate ?? {}) as Record<string, unknown>;
  const norms = Object.entries((s.updateNorms ?? {}) as Record<string, unknown>)
    .filter((e): e is [string, number] => typeof e[1] === 'number')
    .sort((a, b) => a[1] - b[1]);
  const entry: RoundLogEntry = {
    round: r.id, outcome: r.state, base_version: r.baseVersion, candidate: r.candidateVersion,
    nodes: num(s.nodes) ?? num(s.deltas) ?? 0, aggregated: norms.map(([n]) => n).sort(), reason: r.reason, outliers: strings(s.outliers), clipped: strings(s.clipped),
  };
  const hr = num(gate['hr@10']);
  const base = num(gate['baseline_hr@10']);
  if (hr !== undefined) entry['holdout_hr@10'] = r4(hr);
  if (base !== undefined) entry['baseline_hr@10'] = r4(base);
  const clip = num(s.clipNorm);
  if (clip !== undefined) entry.clip_norm = r4(clip);
  const cut = Object.entries((s.countCut ?? {}) as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === 'number');
  if (cut.length > 0) entry.count_cut = Object.fromEntries(cut.map(([n, f]) => [n, Math.round(f * 1e6) / 1e6]));
  if (norms.length > 0) {
    const mid = norms.length >> 1;
    entry.norm_median = r4(norms.length % 2 ? norms[mid][1] : (norms[mid - 1][1] + norms[mid][1]) / 2);
    const [node, norm] = norms[norms.length - 1];
    entry.norm_max = { node, norm: r4(norm) };
  }
  return entry;
}
