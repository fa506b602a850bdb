import { getRandomValues } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { isDomainError } from '@edgerec/proto-schemas';
import { decodeDelta, denseBytes } from '@edgerec/services/compression';
import { createStrategy, type AggregationStrategy, type ClientUpdate } from '@edgerec/services/federation';
import type { Logger } from '../central-logger.js';
import { buildArtifacts, type ModelPublisher, type SnapshotCodecName } from '../distribution/index.js';
import type { CentralMetrics } from '../metrics/index.js';
import { KV_KEYS, type CentralStore, type RoundRecord } from '../store/index.js';
import { ActiveModel } from './active-model.js';
import type { HoldoutMetrics } from './holdout-evaluation.js';
import { CentralRoundPolicy } from './round-policy.js';
import type { Scheduler } from '@edgerec/services/common';
import type { ValidationGate } from './validation-gate.js';

export interface RoundFinalizerDeps {
  store: CentralStore;
  active: ActiveModel;
  gate: ValidationGate;
  publisher: ModelPublisher;
  scheduler: Scheduler;
  logger: Logger;
  metrics?: CentralMetrics;
  snapshotCodec?: SnapshotCodecName;
  /** uniform [0,1) source for DP noise; default: crypto-random */
  rng?: () => number;
}

const cryptoRng = (): number => getRandomValues(new Uint32Array(1))[0] / 4294967296;
const pendingKey = (name: string): string => `${name}#pending`;

/**
 * Takes a closed round to promoted | rejected in two persisted steps, each one SQLite
 * transaction, so a restart between them resumes where it stopped:
 * 1. closed → aggregated: decode the round's deltas, aggregate them onto the active model
 *    with the round's strategy (staleness weights applied), register the candidate
 *    (int8 snapshot + patch) and park the strategy's new optimizer state as pending.
 * 2. aggregated → promoted | rejected: the validation gate scores the candidate as edges
 *    will receive it (the decoded snapshot); promotion activates it, commits the pending
 *    optimizer state and publishes; rejection keeps the old model and optimizer state.
 *
 * @example
 * const finalizer = new RoundFinalizer({ store, active, gate, publisher, scheduler, logger });
 * await finalizer.finalize(closedRound);
 */
export class RoundFinalizer {
  private strategy: { spec: string; instance: AggregationStrategy } | null = null;
  private readonly holdoutCache = new Map<number, HoldoutMetrics | null>();

  constructor(private readonly deps: RoundFinalizerDeps) {}

  async finalize(round: RoundRecord): Promise<void> {
    let r: RoundRecord | null = round;
    if (r.state === 'closed') r = this.aggregate(r);
    if (r?.state === 'aggregated') await this.decide(r);
  }

  private aggregate(round: RoundRecord): RoundRecord | null {
    const { store, active, logger } = this.deps;
    const t0 = performance.now();
    const strategy = this.strategyFor(round);
    const rows = store.deltas.forRound(round.id);
    const base: Record<string, unknown> = {
      deltas: rows.length, samples: rows.reduce((s, d) => s + d.samples, 0), baseVersion: active.version,
      bytesUp: rows.reduce((s, d) => s + d.size, 0),
    };
    let candidate: number;
    try {
      if (rows.length === 0) throw new Error('no deltas to aggregate');
      const updates: ClientUpdate[] = rows.map((d) => ({ nodeId: d.nodeId, delta: decodeDelta(d.bytes!), weight: d.weight }));
      // What the same deltas would weigh as float32 rows: the reports' compression ratio.
      base.denseBytesUp = updates.reduce((s, u) => s + denseBytes(u.delta), 0);
      const result = strategy.aggregate(active.weights, updates);
      const art = buildArtifacts(result.weights, active.weights, this.deps.snapshotCodec);
      candidate = store.registry.maxVersion() + 1;
      const stats = { ...base, ...result.stats, aggregationMs: performance.now() - t0 };
      store.transaction(() => {
        store.registry.insert({
          version: candidate, parent: active.version, createdAt: this.deps.scheduler.now(), status: 'candidate',
          metrics: {}, sha256: art.sha256, size: art.artifact.byteLength, codec: art.codec, numItems: result.weights.numItems,
          dim: result.weights.dim, artifact: art.artifact, patch: art.patch, patchSha256: art.patchSha256,
          roundId: round.id, reason: null,
        });
        store.strategyState.save(pendingKey(strategy.name), strategy.exportState(), this.deps.scheduler.now());
        store.rounds.markAggregated(round.id, stats, candidate);
      });
      this.deps.metrics?.aggregationMs.observe(stats.aggregationMs);
      logger.info({ roundId: round.id, candidate, deltas: rows.length, rowsUpdated: result.stats.rowsUpdated }, 'round aggregated');
    } catch (e) {
      if (!(isDomainError(e) || e instanceof Error)) throw e;
      const reason = `aggregation failed: ${isDomainError(e) ? `${e.code}: ` : ''}${e.message}`;
      store.transaction(() => {
        store.rounds.markAggregated(round.id, base, null);
        store.rounds.finish(round.id, 'rejected', reason, base);
      });
      this.restoreStrategy(strategy);
      this.deps.metrics?.rounds.inc({ outcome: 'rejected' });
      logger.warn({ roundId: round.id, reason }, 'round rejected');
      return null;
    }
    return store.rounds.get(round.id);
  }

  private async decide(round: RoundRecord): Promise<void> {
    const { store, active, gate, logger } = this.deps;
    const version = round.candidateVersion!;
    const strategy = this.strategyFor(round);
    const candidate = ActiveModel.weightsOf(store, version);
    const currentMetrics = this.holdoutCache.has(active.version) ? this.holdoutCache.get(active.version) : undefined;
    const decision = gate.decide(candidate, active.weights, store.evals.merged(active.version), currentMetrics);
    // `reason` becomes the gate's verdict; the close reason (complete, deadline, operator) stays in the stats.
    const stats = { ...(round.stats ?? {}), closeReason: round.reason, gate: decision.metrics };
    const pending = pendingKey(strategy.name);
    const now = this.deps.scheduler.now();
    if (decision.promote) {
      store.transaction(() => {
        store.registry.setStatus(version, 'promoted', decision.reason);
        store.registry.mergeMetrics(version, decision.metrics);
        store.kv.set(KV_KEYS.activeVersion, version);
        store.strategyState.save(strategy.name, store.strategyState.load(pending), now);
        store.strategyState.save(pending, null, now);
        store.rounds.finish(round.id, 'promoted', decision.reason, stats);
      });
      this.restoreStrategy(strategy);
      if (decision.metrics['hr@10'] !== undefined) this.holdoutCache.set(version, metricsFrom(decision.metrics));
      active.set(version, candidate);
      this.deps.metrics?.modelVersion.set(version);
      this.deps.metrics?.rounds.inc({ outcome: 'promoted' });
      logger.info({ roundId: round.id, version, reason: decision.reason }, 'model promoted');
      await this.deps.publisher.publish(version);
      return;
    }
    store.transaction(() => {
      store.registry.setStatus(version, 'rejected', decision.reason);
      store.registry.mergeMetrics(version, decision.metrics);
      store.strategyState.save(pending, null, now);
      store.rounds.finish(round.id, 'rejected', decision.reason, stats);
    });
    this.restoreStrategy(strategy);
    this.deps.metrics?.rounds.inc({ outcome: 'rejected' });
    logger.warn({ roundId: round.id, version, reason: decision.reason }, 'candidate rejected, keeping current model');
  }

  /** The round's strategy; rebuilt (with its committed state) when the policy names another. */
  private strategyFor(round: RoundRecord): AggregationStrategy {
    const spec = CentralRoundPolicy.parse(round.policy).strategy;
    const key = JSON.stringify(spec);
    if (this.strategy?.spec !== key) {
      const instance = createStrategy(spec, { rng: this.deps.rng ?? cryptoRng });
      this.strategy = { spec: key, instance };
      this.restoreStrategy(instance);
    }
    return this.strategy.instance;
  }

  /** Resets the in-memory optimizer state to what is committed in SQLite. */
  private restoreStrategy(strategy: AggregationStrategy): void {
    const committed = this.deps.store.strategyState.load(strategy.name);
    if (committed !== null) {
      strategy.importState(committed);
    } else if (this.strategy?.instance === strategy && strategy.exportState() !== null) {
      // Nothing committed yet: start over from a fresh instance of the same spec.
      this.strategy = { spec: this.strategy.spec, instance: createStrategy(JSON.parse(this.strategy.spec), { rng: this.deps.rng ?? cryptoRng }) };
    }
  }
}

function metricsFrom(m: Record<string, number>): HoldoutMetrics {
  return {
    hr10: m['hr@10'], ndcg10: m['ndcg@10'], hr10Full: m['hr@10_full'] ?? null, ndcg10Full: m['ndcg@10_full'] ?? null,
    users: m.holdout_users ?? 0,
  };
}
