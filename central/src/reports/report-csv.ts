import type { FederatedReport, RoundReport } from './federated-report.js';

type Cell = string | number | boolean | null;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The per-round CSV columns, in order, with how each is read from a RoundReport. */
export const ROUND_CSV_COLUMNS: readonly (readonly [string, (r: RoundReport) => Cell])[] = [
  ['round_id', (r) => r.roundId],
  ['state', (r) => r.state],
  ['outcome', (r) => r.outcome],
  ['accepted', (r) => r.accepted],
  ['base_version', (r) => r.baseVersion],
  ['candidate_version', (r) => r.candidateVersion],
  ['opened_at', (r) => iso(r.openedAt)],
  ['closed_at', (r) => iso(r.closedAt)],
  ['duration_ms', (r) => r.durationMs],
  ['strategy', (r) => r.strategy],
  ['participants', (r) => r.participants],
  ['node_ids', (r) => r.nodeIds.join(';')],
  ['deltas', (r) => r.deltas],
  ['late_deltas', (r) => r.lateDeltas],
  ['samples', (r) => r.samples],
  ['bytes_up', (r) => r.bytesUp],
  ['dense_bytes_up', (r) => r.denseBytesUp],
  ['compression_ratio', (r) => r.compressionRatio],
  ['snapshot_bytes', (r) => r.snapshotBytes],
  ['patch_bytes', (r) => r.patchBytes],
  ['aggregation_ms', (r) => r.aggregationMs],
  ['candidate_hr10', (r) => r.candidate.hr10],
  ['candidate_ndcg10', (r) => r.candidate.ndcg10],
  ['candidate_fed_hr10', (r) => r.candidate.fedHr10],
  ['candidate_fed_ndcg10', (r) => r.candidate.fedNdcg10],
  ['current_hr10', (r) => r.current.hr10],
  ['current_ndcg10', (r) => r.current.ndcg10],
  ['current_fed_hr10', (r) => r.current.fedHr10],
  ['current_fed_ndcg10', (r) => r.current.fedNdcg10],
  ['clipped', (r) => r.clipped.join(';')],
  ['outliers', (r) => r.outliers.join(';')],
  ['update_norm_median', (r) => r.updateNorm?.median ?? null],
  ['update_norm_max', (r) => r.updateNorm?.max ?? null],
  ['update_norm_trend', (r) => r.updateNormTrend],
  ['refused_deltas', (r) => r.refused],
  ['regions', (r) => Object.entries(r.regions).map(([k, v]) => `${k}:${v.nodes}n/${v.samples}s`).join(';')],
  ['reason', (r) => r.reason],
];

/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, quote or line break; text that a
 * spreadsheet would run as a formula (leading = + @ or a tab) is prefixed with `'`.
 */
export function csvCell(v: Cell): string {
  if (v === null) return '';
  if (typeof v !== 'string') return String(v);
  const safe = /^[=+@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/**
 * The report's rounds as CSV, one line per round, oldest first, CRLF line ends.
 *
 * @example
 * const csv = roundsCsv(report); // "round_id,state,outcome,...\r\n1,promoted,promoted,..."
 */
export function roundsCsv(report: FederatedReport): string {
  const lines = [ROUND_CSV_COLUMNS.map(([name]) => name).join(',')];
  for (const r of report.rounds) lines.push(ROUND_CSV_COLUMNS.map(([, get]) => csvCell(get(r))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
