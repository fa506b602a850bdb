import { encode, topics, type RoundControlMsg } from '@edgerec/proto-schemas';
import type { Transport } from '@edgerec/services/bus';
import type { Logger } from '../central-logger.js';
import type { CentralMetrics } from '../metrics/index.js';
import type { CentralStore, RoundRecord } from '../store/index.js';

export type { AdmitResult, DeltaAdmission } from './round-admission.js';
import { closeDecision } from './close-rules.js';
import { CentralRoundPolicy, wirePolicy } from './round-policy.js';
import type { Scheduler } from '@edgerec/services/common';
import { SerialQueue } from './serial-queue.js';
import { countDelta, type AdmitResult, type DeltaAdmission } from './round-admission.js';

export interface RoundManagerDeps {
  store: CentralStore;
  transport: Transport;
  scheduler: Scheduler;
  logger: Logger;
  metrics?: CentralMetrics;
  /** policy for rounds opened from now on */
  policy: CentralRoundPolicy;
  /** the promoted model version new rounds start from */
  activeVersion: () => number;
  /** takes a closed (or aggregated) round to promoted | rejected */
  finalize: (round: RoundRecord) => Promise<void>;
  /** awaited before the first round is opened or resumed (e.g. "transport connected") */
  ready?: Promise<void>;
}

/**
 * Opens rounds, counts deltas into them and closes them (DESIGN §4). All state lives in
 * SQLite and every change goes through one serial queue; `start()` resumes whatever
 * round a previous process left (open → re-armed deadline, closed/aggregated → finalized).
 *
 * @example
 * const rm = new RoundManager({ store, transport, scheduler, logger, policy, activeVersion, finalize });
 * await rm.start();
 * const verdict = await rm.admit(delta);
 */
export class RoundManager {
  private open: RoundRecord | null = null;
  private cancelTimer: (() => void) | null = null;
  private stopped = false;
  private suspendedByOperator = false;
  private readonly queue = new SerialQueue();
  private policy: CentralRoundPolicy;

  constructor(private readonly deps: RoundManagerDeps) {
    this.policy = deps.policy;
  }

  /** Resumes the latest round or opens the first one; resolves once a round is open. */
  start(): Promise<void> {
    return this.queue.run(async () => {
      await this.deps.ready;
      if (this.stopped) return;
      const latest = this.deps.store.rounds.latest();
      if (latest?.state === 'open') {
        this.open = latest;
        this.armDeadline(latest);
        this.deps.logger.info({ roundId: latest.id }, 'resumed open round');
        await this.publish(this.openMessage(latest), true);
        await this.maybeClose();
        return;
      }
      if (latest?.state === 'closed' || latest?.state === 'aggregated') {
        this.deps.logger.info({ roundId: latest.id, state: latest.state }, 'finishing interrupted round');
        await this.runFinalize(latest);
      }
      await this.openRound();
    });
  }

  /** The round deltas are counted into right now. */
  get currentRound(): RoundRecord | null {
    return this.open;
  }

  /** Applies to rounds opened after this call. */
  setPolicy(policy: CentralRoundPolicy): void {
    this.policy = policy;
  }

  /** The policy rounds opened from now on get. */
  get nextPolicy(): CentralRoundPolicy {
    return this.policy;
  }

  /** Whether an operator stopped federated sync (see `suspend`). */
  get suspended(): boolean {
    return this.suspendedByOperator;
  }

  /**
   * Operator "stop sync": deltas get no verdict (edges keep them in their outbox and
   * re-send later) and the open round neither closes nor times out until `resume()`.
   */
  suspend(): Promise<void> {
    return this.queue.run(() => {
      this.suspendedByOperator = true;
      this.cancelTimer?.();
      this.cancelTimer = null;
    });
  }

  /** Operator "start sync": the open round gets a fresh deadline and may close at once. */
  resume(): Promise<void> {
    return this.queue.run(async () => {
      if (!this.suspendedByOperator) return;
      this.suspendedByOperator = false;
      const round = this.open;
      if (this.stopped || !round) return;
      const deadline = this.deps.scheduler.now() + CentralRoundPolicy.parse(round.policy).deadlineMs;
      this.deps.store.rounds.setDeadline(round.id, deadline);
      this.open = { ...round, deadline };
      this.armDeadline(this.open);
      await this.maybeClose();
    });
  }

  /**
   * Operator "close the round now": with at least one counted delta the round is closed
   * (`reason`) and aggregated whatever its policy's minimum; with none it is abandoned.
   * The next round opens either way. Resolves to the closed round's id (null: none open).
   */
  closeNow(reason = 'operator'): Promise<number | null> {
    return this.queue.run(async () => {
      const round = this.open;
      if (this.stopped || !round) return null;
      if (this.deps.store.deltas.intake(round.id).deltas === 0) {
        await this.reopen(round, `${reason}: closed with no deltas`, 'abandoned');
        return round.id;
      }
      this.cancelTimer?.();
      this.cancelTimer = null;
      this.open = null;
      this.deps.store.rounds.close(round.id, this.deps.scheduler.now(), reason);
      this.deps.logger.info({ roundId: round.id, reason }, 'round closed');
      await this.publish({ v: 1, type: 'close', roundId: round.id, reason }, true);
      await this.runFinalize(this.deps.store.rounds.get(round.id)!);
      if (!this.stopped) await this.openAfter(round);
      return round.id;
    });
  }

  /**
   * Operator change of the active model (promote, rollback), serialized with admissions
   * and aggregation: `change` switches the active version; then an open round on the old
   * base is replaced by one on the new version, its deltas carried over.
   */
  supersede<T>(change: () => Promise<T>, reason: string): Promise<T> {
    return this.queue.run(async () => {
      const result = await change();
      const round = this.open;
      if (!this.stopped && round && round.baseVersion !== this.deps.activeVersion()) await this.reopen(round, reason, 'superseded');
      return result;
    });
  }

  /** Counts a delta exactly once (dedupe by deltaId) into the open round, or refuses it. */
  admit(d: DeltaAdmission): Promise<AdmitResult> {
    const result = this.queue.run(() => this.admitNow(d));
    result.then(
      (r) => {
        if (r?.status === 'accepted') void this.queue.run(() => this.maybeClose()).catch((e) => this.logFailure(e));
      },
      () => undefined, // the caller sees the failure
    );
    return result;
  }

  /** Node registry changed (status/LWT/pause): a round may now have everyone it waits for. */
  nodesChanged(): void {
    if (!this.stopped) void this.queue.run(() => this.maybeClose()).catch((e) => this.logFailure(e));
  }

  /** Resolves when all queued work (admissions, closes, aggregation) is done. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
    await this.queue.idle();
  }

  private admitNow(d: DeltaAdmission): AdmitResult {
    const round = this.open;
    if (this.stopped || this.suspendedByOperator || !round) return null;
    const { result, outcome } = countDelta(this.deps.store, round, d, this.deps.scheduler.now());
    this.deps.metrics?.deltas.inc({ outcome });
    if (outcome === 'rejected') this.deps.metrics?.deltaRejections.inc({ reason: result.reason?.split(/[: ]/)[0] ?? 'rejected' });
    return result;
  }

  private async maybeClose(): Promise<void> {
    const round = this.open;
    if (this.stopped || this.suspendedByOperator || !round) return;
    const { store, scheduler, logger } = this.deps;
    const policy = CentralRoundPolicy.parse(round.policy);
    const now = scheduler.now();
    const decision = closeDecision(policy, store.deltas.intake(round.id), store.nodes.expected(), now, round.deadline);
    if (!decision.close) return;
    if (decision.reason === 'insufficient') return this.reopen(round, `insufficient: ${decision.detail}`, 'insufficient');
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.open = null;
    store.rounds.close(round.id, now, decision.reason);
    this.deps.metrics?.roundDuration.observe((now - round.openedAt) / 1000);
    logger.info({ roundId: round.id, reason: decision.reason }, 'round closed');
    await this.publish({ v: 1, type: 'close', roundId: round.id, reason: decision.reason }, true);
    await this.runFinalize(store.rounds.get(round.id)!);
    if (!this.stopped) await this.openAfter(round);
  }

  /**
   * Opens the round after `prev`, at once or when `minIntervalMs` since `prev` opened has
   * passed. Meanwhile deltas get no verdict and stay in the edges' outboxes; the next `open`
   * makes the edges send them.
   */
  private async openAfter(prev: RoundRecord): Promise<void> {
    const wait = prev.openedAt + this.policy.minIntervalMs - this.deps.scheduler.now();
    if (wait <= 0) return this.openRound();
    this.cancelTimer?.();
    this.cancelTimer = this.deps.scheduler.setTimer(wait, () => {
      this.cancelTimer = null;
      void this.queue
        .run(async () => {
          if (!this.stopped && !this.open) await this.openRound();
        })
        .catch((e) => this.logFailure(e));
    });
  }

  /** Abandons `round` and opens its successor on the active version, carrying its deltas over. */
  private async reopen(round: RoundRecord, reason: string, outcome: 'insufficient' | 'abandoned' | 'superseded'): Promise<void> {
    const { store, logger } = this.deps;
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.open = null;
    const now = this.deps.scheduler.now();
    const next = this.newRoundRecord(now);
    const nextId = store.transaction(() => {
      store.rounds.abandon(round.id, now, reason);
      const id = store.rounds.insert(next);
      store.deltas.moveToRound(round.id, id);
      return id;
    });
    this.deps.metrics?.rounds.inc({ outcome });
    logger.info({ roundId: round.id, nextRoundId: nextId, reason }, 'round reopened');
    await this.publish({ v: 1, type: 'close', roundId: round.id, reason: outcome }, false);
    await this.activate(store.rounds.get(nextId)!);
  }

  private async runFinalize(round: RoundRecord): Promise<void> {
    try {
      await this.deps.finalize(round);
    } catch (e) {
      // A failing aggregation must not stop the protocol: log it and move on to a new round.
      this.deps.logger.error({ roundId: round.id, err: e instanceof Error ? e.message : String(e) }, 'round finalization failed');
    }
  }

  private newRoundRecord(now: number) {
    return { baseVersion: this.deps.activeVersion(), policy: this.policy, openedAt: now, deadline: now + this.policy.deadlineMs };
  }

  private async openRound(): Promise<void> {
    const id = this.deps.store.rounds.insert(this.newRoundRecord(this.deps.scheduler.now()));
    await this.activate(this.deps.store.rounds.get(id)!);
  }

  private async activate(round: RoundRecord): Promise<void> {
    this.open = round;
    this.armDeadline(round);
    this.deps.logger.info({ roundId: round.id, baseVersion: round.baseVersion, deadline: round.deadline }, 'round opened');
    await this.publish(this.openMessage(round), true);
  }

  private armDeadline(round: RoundRecord): void {
    this.cancelTimer?.();
    const wait = Math.max(0, round.deadline - this.deps.scheduler.now());
    this.cancelTimer = this.deps.scheduler.setTimer(wait, () => {
      if (this.open?.id !== round.id) return;
      // Timers may fire a little early or be clamped; re-arm until the deadline has passed.
      if (this.deps.scheduler.now() < round.deadline) return this.armDeadline(round);
      void this.queue.run(() => this.maybeClose()).catch((e) => this.logFailure(e));
    });
  }

  private logFailure(e: unknown): void {
    this.deps.logger.error({ err: e instanceof Error ? e.message : String(e) }, 'round state change failed');
  }

  private openMessage(round: RoundRecord): RoundControlMsg {
    const policy = CentralRoundPolicy.parse(round.policy);
    return {
      v: 1, type: 'open', roundId: round.id, baseVersion: round.baseVersion, deadline: round.deadline,
      minNodes: policy.minNodes, policy: wirePolicy(policy),
    };
  }

  /** Retained, so an edge that connects mid-round learns the round state at once. */
  private async publish(msg: RoundControlMsg, retain: boolean): Promise<void> {
    try {
      await this.deps.transport.publish(topics.controlRounds(), encode(msg), { retain });
    } catch (e) {
      this.deps.logger.warn({ type: msg.type, err: e instanceof Error ? e.message : String(e) }, 'round control publish failed');
    }
  }
}
