import { normSummary, regionMetrics, UNKNOWN_REGION, type RegionVersionMetrics } from './region-metrics.js';
import type { ReportSource, RoundRow, VersionRow } from './report-queries.js';

/** holdout (central) and federated (edges) ranking metrics of one model; null = not measured. */
export interface ModelScores {
  hr10: number | null;
  ndcg10: number | null;
  fedHr10: number | null;
  fedNdcg10: number | null;
}

export interface RoundRegionStats {
  nodes: number;
  samples: number;
  bytesUp: number;
  /** federated HR@10 of the base and of the candidate in this region, and their difference */
  baseFedHr10: number | null;
  candidateFedHr10: number | null;
  hr10Drift: number | null;
}

/** One federated round, as the reports show it. */
export interface RoundReport {
  roundId: number;
  state: string;
  /** promoted | rejected | abandoned (closed without aggregating) | in-progress */
  outcome: 'promoted' | 'rejected' | 'abandoned' | 'in-progress';
  accepted: boolean | null;
  reason: string | null;
  baseVersion: number;
  candidateVersion: number | null;
  openedAt: number;
  closedAt: number | null;
  durationMs: number | null;
  strategy: string;
  participants: number;
  nodeIds: string[];
  deltas: number;
  lateDeltas: number;
  samples: number;
  bytesUp: number;
  /** the same deltas as dense float32 (recorded at aggregation); null for older rounds */
  denseBytesUp: number | null;
  /** denseBytesUp / bytesUp */
  compressionRatio: number | null;
  /** what one edge downloads for the candidate: full int8 snapshot, or the patch from its parent */
  snapshotBytes: number | null;
  patchBytes: number | null;
  aggregationMs: number | null;
  candidate: ModelScores;
  current: ModelScores;
  regions: Record<string, RoundRegionStats>;
  clipped: string[];
  outliers: string[];
  clipNorm: number | null;
  dp: { clip: number; noiseMultiplier: number; noiseStd: number } | null;
  updateNorm: { mean: number; median: number; max: number } | null;
  /** median update norm over the previous aggregated round's (drift in update size) */
  updateNormTrend: number | null;
  refused: number;
  refusedReasons: Record<string, number>;
}

export interface VersionSummary extends ModelScores {
  version: number;
  parent: number | null;
  status: string;
  createdAt: number;
  roundId: number | null;
  fedUsers: number | null;
  size: number;
  patchSize: number | null;
  reason: string | null;
}

export type DriftAlert =
  | { kind: 'region_hr_drop'; region: string; version: number; hr10Drift: number }
  | { kind: 'update_norm_jump'; roundId: number; ratio: number }
  | { kind: 'outliers'; roundId: number; nodeIds: string[] };

export interface FederatedReport {
  generatedAt: number;
  activeVersion: number | null;
  totals: { rounds: number; promoted: number; rejected: number; abandoned: number; samples: number; bytesUp: number; denseBytesUp: number };
  rounds: RoundReport[];
  versions: VersionSummary[];
  regions: RegionVersionMetrics[];
  drift: DriftAlert[];
}

export interface ReportOptions {
  generatedAt: number;
  /** a region's HR@10 falling by more than this between versions is flagged (default 0.05) */
  hrDropAlert?: number;
  /** a median update norm this many times the previous round's is flagged (default 2) */
  normJumpAlert?: number;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function scores(m: Record<string, unknown> | undefined, prefix = ''): ModelScores {
  return {
    hr10: num(m?.[`${prefix}hr@10`]), ndcg10: num(m?.[`${prefix}ndcg@10`]),
    fedHr10: num(m?.[`${prefix}fed_hr@10`]), fedNdcg10: num(m?.[`${prefix}fed_ndcg@10`]),
  };
}

function outcomeOf(r: RoundRow): RoundReport['outcome'] {
  if (r.state === 'promoted') return 'promoted';
  if (r.state === 'rejected') return r.stats === null ? 'abandoned' : 'rejected';
  return 'in-progress';
}

/**
 * Builds the federated training report (per round and over time) from what central
 * recorded: participation, bytes and compression, aggregation time and strategy,
 * candidate vs current metrics (holdout and federated), the gate's verdict, per-region
 * metrics and drift, and clipped/outlier deltas. Pure: the same source gives the same report.
 *
 * @example
 * const report = buildFederatedReport(readReportSource(db), { generatedAt: Date.now() });
 */
export function buildFederatedReport(src: ReportSource, opts: ReportOptions): FederatedReport {
  const versions = new Map(src.versions.map((v) => [v.version, v]));
  const regions = regionMetrics(src.evals, src.regions);
  const regionOf = (nodeId: string) => src.regions[nodeId] ?? UNKNOWN_REGION;
  const regionHr = new Map(regions.map((r) => [`${r.version}\u0000${r.region}`, r.hr10]));
  const intakeByRound = new Map<number, ReportSource['intake']>();
  for (const x of src.intake) {
    const list = intakeByRound.get(x.roundId);
    if (list) list.push(x);
    else intakeByRound.set(x.roundId, [x]);
  }
  let prevMedian: number | null = null;
  let refusedAt = 0; // src.refused is sorted by arrival, rounds by opening: one forward pass
  const rounds = src.rounds.map((r, i): RoundReport => {
    const s = r.stats ?? {};
    const intake = intakeByRound.get(r.id) ?? [];
    // A refusal belongs to the round open when it arrived: [openedAt, closedAt] (each counted once).
    const inRound = (t: number) => (r.closedAt !== null ? t <= r.closedAt : t < (src.rounds[i + 1]?.openedAt ?? Number.POSITIVE_INFINITY));
    while (refusedAt < src.refused.length && src.refused[refusedAt].receivedAt < r.openedAt) refusedAt++;
    const refused: ReportSource['refused'] = [];
    for (; refusedAt < src.refused.length && inRound(src.refused[refusedAt].receivedAt); refusedAt++) refused.push(src.refused[refusedAt]);
    const cand: VersionRow | undefined = r.candidateVersion !== null ? versions.get(r.candidateVersion) : undefined;
    const gate = (s.gate ?? {}) as Record<string, unknown>;
    const byRegion: Record<string, RoundRegionStats> = {};
    for (const x of intake) {
      const reg = regionOf(x.nodeId);
      const b = (byRegion[reg] ??= { nodes: 0, samples: 0, bytesUp: 0, baseFedHr10: null, candidateFedHr10: null, hr10Drift: null });
      b.nodes += 1;
      b.samples += x.samples;
      b.bytesUp += x.bytes;
    }
    for (const [reg, b] of Object.entries(byRegion)) {
      b.baseFedHr10 = regionHr.get(`${r.baseVersion}\u0000${reg}`) ?? null;
      b.candidateFedHr10 = r.candidateVersion !== null ? (regionHr.get(`${r.candidateVersion}\u0000${reg}`) ?? null) : null;
      b.hr10Drift = b.baseFedHr10 !== null && b.candidateFedHr10 !== null ? b.candidateFedHr10 - b.baseFedHr10 : null;
    }
    const bytesUp = intake.reduce((a, x) => a + x.bytes, 0);
    const dense = num(s.denseBytesUp);
    const updateNorm = normSummary(s.updateNorms as Record<string, number> | undefined);
    const trend = updateNorm && prevMedian ? updateNorm.median / prevMedian : null;
    if (updateNorm) prevMedian = updateNorm.median;
    const reasons: Record<string, number> = {};
    for (const d of refused) {
      const key = (d.reason ?? d.status).split(/[: ]/)[0] || d.status;
      reasons[key] = (reasons[key] ?? 0) + 1;
    }
    const outcome = outcomeOf(r);
    const current = scores(gate, 'baseline_');
    return {
      roundId: r.id, state: r.state, outcome, accepted: outcome === 'promoted' ? true : outcome === 'rejected' ? false : null,
      reason: r.reason, baseVersion: r.baseVersion, candidateVersion: r.candidateVersion, openedAt: r.openedAt,
      closedAt: r.closedAt, durationMs: r.closedAt === null ? null : r.closedAt - r.openedAt,
      strategy: typeof s.strategy === 'string' ? s.strategy : String((r.policy.strategy as { name?: string } | undefined)?.name ?? 'fedavg'),
      participants: new Set(intake.map((x) => x.nodeId)).size, nodeIds: [...new Set(intake.map((x) => x.nodeId))],
      deltas: intake.reduce((a, x) => a + x.deltas, 0), lateDeltas: intake.reduce((a, x) => a + x.late, 0),
      samples: intake.reduce((a, x) => a + x.samples, 0), bytesUp, denseBytesUp: dense,
      compressionRatio: dense !== null && bytesUp > 0 ? dense / bytesUp : null,
      snapshotBytes: cand?.size ?? null, patchBytes: cand?.patchSize ?? null, aggregationMs: num(s.aggregationMs),
      candidate: cand ? scores(cand.metrics) : scores(gate),
      current: { ...current, fedHr10: current.fedHr10 ?? scores(versions.get(r.baseVersion)?.metrics).fedHr10,
        fedNdcg10: current.fedNdcg10 ?? scores(versions.get(r.baseVersion)?.metrics).fedNdcg10 },
      regions: byRegion, clipped: strings(s.clipped), outliers: strings(s.outliers), clipNorm: num(s.clipNorm),
      dp: (s.dp as RoundReport['dp']) ?? null, updateNorm, updateNormTrend: trend,
      refused: refused.length, refusedReasons: reasons,
    };
  });
  return {
    generatedAt: opts.generatedAt,
    activeVersion: src.activeVersion,
    totals: {
      rounds: rounds.length,
      promoted: rounds.filter((r) => r.outcome === 'promoted').length,
      rejected: rounds.filter((r) => r.outcome === 'rejected').length,
      abandoned: rounds.filter((r) => r.outcome === 'abandoned').length,
      samples: rounds.reduce((a, r) => a + r.samples, 0),
      bytesUp: rounds.reduce((a, r) => a + r.bytesUp, 0),
      denseBytesUp: rounds.reduce((a, r) => a + (r.denseBytesUp ?? 0), 0),
    },
    rounds,
    versions: src.versions.map((v) => {
      // A version the gate never scored as a candidate (the initial one, re-releases) was
      // scored as the baseline of the rounds built on it; a copy has its source's weights.
      const own = scores(v.metrics);
      const source = num(v.metrics.copy_of) ?? v.version;
      const asBase = rounds.find((r) => (r.baseVersion === v.version || r.baseVersion === source) && r.current.hr10 !== null)?.current;
      return {
        version: v.version, parent: v.parent, status: v.status, createdAt: v.createdAt, roundId: v.roundId,
        ...own, hr10: own.hr10 ?? asBase?.hr10 ?? null, ndcg10: own.ndcg10 ?? asBase?.ndcg10 ?? null,
        fedUsers: num(v.metrics.fed_users), size: v.size, patchSize: v.patchSize, reason: v.reason,
      };
    }),
    regions,
    drift: driftAlerts(rounds, regions, opts),
  };
}

function driftAlerts(rounds: RoundReport[], regions: RegionVersionMetrics[], opts: ReportOptions): DriftAlert[] {
  const drop = opts.hrDropAlert ?? 0.05;
  const jump = opts.normJumpAlert ?? 2;
  const out: DriftAlert[] = [];
  for (const r of regions) {
    if (r.hr10Drift !== null && r.hr10Drift < -drop) out.push({ kind: 'region_hr_drop', region: r.region, version: r.version, hr10Drift: r.hr10Drift });
  }
  for (const r of rounds) {
    if (r.updateNormTrend !== null && r.updateNormTrend > jump) out.push({ kind: 'update_norm_jump', roundId: r.roundId, ratio: r.updateNormTrend });
    if (r.outliers.length) out.push({ kind: 'outliers', roundId: r.roundId, nodeIds: r.outliers });
  }
  return out;
}
