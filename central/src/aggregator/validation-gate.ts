import type { ModelWeights } from '@edgerec/services/model';
import type { ComputeBackend } from '../backend/index.js';
import type { FederatedMetrics } from '../store/index.js';
import { evaluateOnHoldout, holdoutMetricRecord, type CentralHoldout, type HoldoutMetrics } from './holdout-evaluation.js';

/**
 * Default promotion threshold: a candidate may be at most 0.01 absolute HR@10 below the
 * current model on the central holdout. Both models are scored on the same users (a paired
 * comparison), so the noise of the difference is far below that of either HR; 0.01 lets
 * through the round-to-round jitter of a converging model and stops real regressions (a
 * poisoned or diverged aggregate typically loses 0.05–0.5). Use ≥ ~500 holdout users.
 */
export const DEFAULT_GATE_THRESHOLD = 0.01;

export interface GateOptions {
  holdout?: CentralHoldout;
  backend: ComputeBackend;
  /** absolute HR@10 the candidate may lose against the current model (default 0.01) */
  threshold?: number;
  /** without a holdout: reject instead of promoting unvalidated (default false) */
  requireHoldout?: boolean;
}

export interface GateDecision {
  promote: boolean;
  reason: string;
  /** what the registry records for the candidate (holdout results, baselines) */
  metrics: Record<string, number>;
}

const f4 = (x: number): string => x.toFixed(4);

/**
 * The promotion rule as a pure function of the measured numbers.
 *
 * @example
 * gateDecision({ hr10: 0.40, … }, { hr10: 0.42, … }, null, { threshold: 0.01 }).promote; // false
 */
export function gateDecision(
  candidate: HoldoutMetrics | null,
  current: HoldoutMetrics | null,
  federatedCurrent: FederatedMetrics | null,
  opts: { threshold: number; requireHoldout: boolean },
): { promote: boolean; reason: string } {
  const fed = federatedCurrent
    ? `; current federated hr@10 ${f4(federatedCurrent.hr10)} over ${federatedCurrent.users} users on ${federatedCurrent.nodes} nodes`
    : '';
  if (!candidate || !current) {
    return opts.requireHoldout
      ? { promote: false, reason: `no central holdout and one is required${fed}` }
      : { promote: true, reason: `unvalidated: no central holdout${fed}` };
  }
  if (candidate.users === 0) {
    return { promote: !opts.requireHoldout, reason: `holdout has no test users${fed}` };
  }
  const floor = current.hr10 - opts.threshold;
  if (candidate.hr10 >= floor) {
    return { promote: true, reason: `candidate hr@10 ${f4(candidate.hr10)} ≥ current ${f4(current.hr10)} − ${opts.threshold}${fed}` };
  }
  return { promote: false, reason: `candidate hr@10 ${f4(candidate.hr10)} < current ${f4(current.hr10)} − ${opts.threshold}${fed}` };
}

/**
 * Validation before promotion (DESIGN §4): scores candidate and current model on the central
 * holdout and promotes the candidate unless it is worse than the current model by more than
 * the threshold. The current model's latest federated metrics (edges' own held-out events)
 * are recorded next to it as `baseline_fed_*` and quoted in the reason; they cannot decide
 * alone because edges have not seen the candidate yet (that needs a canary rollout).
 *
 * @example
 * const gate = new ValidationGate({ holdout, backend });
 * const d = gate.decide(candidate, current, store.evals.merged(currentVersion));
 */
export class ValidationGate {
  readonly threshold: number;

  constructor(private readonly opts: GateOptions) {
    this.threshold = opts.threshold ?? DEFAULT_GATE_THRESHOLD;
  }

  get hasHoldout(): boolean {
    return this.opts.holdout !== undefined;
  }

  /** Holdout metrics of `weights`, or null without a holdout. */
  evaluate(weights: ModelWeights): HoldoutMetrics | null {
    return this.opts.holdout ? evaluateOnHoldout(weights, this.opts.holdout, this.opts.backend) : null;
  }

  /** `currentMetrics` may be passed when already known (cached per version) to skip re-scoring. */
  decide(
    candidate: ModelWeights,
    current: ModelWeights,
    federatedCurrent: FederatedMetrics | null,
    currentMetrics?: HoldoutMetrics | null,
  ): GateDecision {
    const cand = this.evaluate(candidate);
    const cur = currentMetrics ?? this.evaluate(current);
    const { promote, reason } = gateDecision(cand, cur, federatedCurrent, {
      threshold: this.threshold,
      requireHoldout: this.opts.requireHoldout ?? false,
    });
    const metrics: Record<string, number> = cand ? holdoutMetricRecord(cand) : {};
    if (cur) metrics['baseline_hr@10'] = cur.hr10;
    if (cur) metrics['baseline_ndcg@10'] = cur.ndcg10;
    if (federatedCurrent) {
      metrics['baseline_fed_hr@10'] = federatedCurrent.hr10;
      metrics['baseline_fed_ndcg@10'] = federatedCurrent.ndcg10;
      metrics.baseline_fed_users = federatedCurrent.users;
    }
    metrics.gate_threshold = this.threshold;
    return { promote, reason, metrics };
  }
}
