import type { CentralService } from '../central-service.js';
import { attackFactor, type EdgeAttack } from './delta-poisoning.js';
import { OperatorClient } from './operator-client.js';
import type { ObservedAck, ProtocolObserver } from './protocol-observer.js';
import type { RoundLogEntry } from './round-log.js';

const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;
const nodeIdOf = (edge: number): string => `edge-${edge}`;

/** What one attacking edge did and what central answered it. */
export interface AttackerReport {
  edge: number;
  node: string;
  kind: EdgeAttack['kind'];
  factor: number;
  /** the count inflation it claimed (absent: honest counts) */
  count_factor?: number;
  samples_factor?: number;
  /** mean L2 norm of its honest update and of what it sent instead, per round */
  honest_norm: number;
  poisoned_norm: number;
  /** central's verdicts on its deltas, by status (a refused multi-chunk delta may be answered more than once) */
  acks: Partial<Record<ObservedAck['status'], number>>;
  /** distinct rejection reasons it was told */
  reasons: string[];
}

/** The operator's quarantine of attacking edges, and its effect. */
export interface QuarantineReport {
  /** evaluation round (1-based) and central round id in which the operator acted */
  round: number;
  round_id: number;
  nodes: string[];
  /** HTTP status of each POST /admin/nodes/{id}/quarantine */
  admin_status: number[];
  /** already-counted deltas of the open round the quarantine excluded */
  excluded_deltas: number;
  /** deltas refused at intake afterwards, and the reason the edges were told */
  refused_deltas: number;
  refusal_reasons: string[];
  /** true when no quarantined node's delta was aggregated from `round` on */
  excluded_from_aggregation: boolean;
  /** the operator's rollback: target version, HTTP status, the version it was re-released as */
  rollback?: { to: number; status: number; active_version: number | null };
}

/** Per-attacker summary from the poisoning statistics and the acks the observer saw. */
export function attackerReports(
  attacks: readonly EdgeAttack[],
  stats: ReadonlyMap<number, { honest: number; poisoned: number; n: number }>,
  observer: ProtocolObserver,
): AttackerReport[] {
  return attacks.map((a) => {
    const s = stats.get(a.edge) ?? { honest: 0, poisoned: 0, n: 0 };
    const acks = observer.acksOf(nodeIdOf(a.edge));
    const counts: AttackerReport['acks'] = {};
    for (const k of acks) counts[k.status] = (counts[k.status] ?? 0) + 1;
    return {
      edge: a.edge, node: nodeIdOf(a.edge), kind: a.kind, factor: attackFactor(a),
      ...(a.countFactor !== undefined ? { count_factor: a.countFactor } : {}),
      ...(a.countFactor !== undefined || a.samplesFactor !== undefined ? { samples_factor: a.samplesFactor ?? a.countFactor } : {}),
      honest_norm: r4(s.n ? s.honest / s.n : 0), poisoned_norm: r4(s.n ? s.poisoned / s.n : 0), acks: counts,
      reasons: [...new Set(acks.filter((k) => k.status === 'rejected').map((k) => k.reason ?? 'rejected'))],
    };
  });
}

/** What the operator does in the quarantine round (see FederatedEvalOptions.quarantine). */
export interface QuarantineSpec {
  edges: number[];
  round: number;
  /** also roll back to the last released version none of the quarantined nodes contributed to */
  rollback?: boolean;
}

/**
 * The operator quarantines `edges` through the admin API once central has answered their
 * deltas of the open round (`deltaIds`), so the quarantine both excludes counted deltas and
 * refuses later ones; with `rollback`, it then rolls back to the base version of the first
 * promoted round that aggregated a quarantined node (from the round log, as an operator
 * would read it). Call `finishQuarantineReport` after the run to fill in the effect.
 */
export async function quarantineNow(
  central: CentralService, observer: ProtocolObserver, q: QuarantineSpec, roundId: number,
  deltaIds: readonly string[], log: readonly RoundLogEntry[], timeoutMs: number,
): Promise<QuarantineReport> {
  await Promise.all(deltaIds.map((id) => observer.waitForAck(id, timeoutMs)));
  const op = new OperatorClient(central);
  const nodes = q.edges.map(nodeIdOf);
  const answers = [];
  for (const n of nodes) answers.push(await op.quarantine(n, 'poisoned deltas (evaluation)'));
  const report: QuarantineReport = {
    round: q.round, round_id: roundId, nodes, admin_status: answers.map((a) => a.status),
    excluded_deltas: answers.reduce((s, a) => s + (typeof a.body.excludedDeltas === 'number' ? a.body.excludedDeltas : 0), 0),
    refused_deltas: 0, refusal_reasons: [], excluded_from_aggregation: false,
  };
  const poisoned = log.filter((e) => e.outcome === 'promoted' && e.aggregated.some((n) => nodes.includes(n)));
  if (q.rollback && poisoned.length > 0) {
    const target = Math.min(...poisoned.map((e) => e.base_version));
    const a = await op.rollback(target, `last version without ${nodes.join(', ')}`);
    report.rollback = { to: target, status: a.status, active_version: typeof a.body.activeVersion === 'number' ? a.body.activeVersion : null };
  }
  return report;
}

/** Fills in what happened after the quarantine: refused deltas and who was aggregated. */
export function finishQuarantineReport(r: QuarantineReport, observer: ProtocolObserver, log: readonly RoundLogEntry[]): QuarantineReport {
  const nodes = new Set(r.nodes);
  const refused = observer.acks.filter((a) => nodes.has(a.nodeId) && a.status === 'rejected');
  const after = log.filter((e) => e.round >= r.round_id);
  return {
    ...r,
    refused_deltas: new Set(refused.map((a) => a.deltaId)).size,
    refusal_reasons: [...new Set(refused.map((a) => a.reason ?? 'rejected'))],
    excluded_from_aggregation: after.length > 0 && after.every((e) => e.aggregated.every((n) => !nodes.has(n))),
  };
}
