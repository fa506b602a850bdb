import { randomUUID } from 'node:crypto';
import {
  decode, DomainError, RoundControlMsg, topics, type DeltaCodec, type ModelManifestMsg,
} from '@edgerec/proto-schemas';
import type { Transport, Unsubscribe } from '@edgerec/services/bus';
import type { ModelWeights } from '@edgerec/services/model';
import type { EdgeDatabase } from '@edgerec/services/store';
import { pino, type Logger } from 'pino';
import type { SyncClient, SyncContext, SyncNowResult, SyncStatus } from '../sync-client.js';
import { extractToOutbox, ROUND_STATE_KEY, type SyncMemory } from './delta-extraction.js';
import { DeltaUplink } from './delta-uplink.js';
import { EvalReporter } from './eval-reporter.js';
import { HoldoutEvaluator, type HoldoutPolicy, type HoldoutResult } from './holdout-evaluator.js';
import type { ManifestTrust } from './manifest-trust.js';
import { InstallWaiters } from './install-waiters.js';
import { installGlobalModel } from './model-installer.js';
import { ModelReceiver } from './model-receiver.js';
import { RoundState, targets, type OpenRound, type PersistedRoundState } from './round-state.js';
import { StatusPublisher } from './status-publisher.js';
import { createSyncMetrics, type SyncMetrics } from './sync-metrics.js';
import { systemScheduler, type Scheduler } from '@edgerec/services/common';

export interface EdgeSyncOptions {
  nodeId: string;
  region: string;
  /** owned by the client: connected in `start`, closed in `stop`; give it `offlineWill(...)` */
  transport: Transport;
  /** central's signing keys (and trust-on-first-use) */
  trust: ManifestTrust;
  /** how often to extract and publish when a round wants a delta (default 10 s) */
  syncIntervalMs?: number;
  /** how often to re-publish the retained status (default 15 s) */
  statusIntervalMs?: number;
  resendBaseMs?: number;
  resendMaxMs?: number;
  /** uplink codec when the round policy names none (default topk-int8) */
  defaultCodec?: DeltaCodec;
  scheduler?: Scheduler;
  /** deltaId source (default crypto.randomUUID) */
  newId?: () => string;
  /** uniform [0,1) source for stochastic int8 rounding (default: deterministic rounding) */
  rng?: () => number;
  logger?: Logger;
  /** held-out events for federated evaluation (the learner must skip the same ones) */
  holdout?: HoldoutPolicy;
  /** custom federated evaluation after each swap (overrides `holdout`); null: nothing to report */
  evaluate?: () => HoldoutResult | null;
  /** chunk budget for releases not yet installed (default 256 MiB) */
  maxModelBytes?: number;
  /**
   * How long `syncNow` waits for the publish pass (default 5 s). The delta is durable in the
   * outbox before the wait starts; with the broker away a QoS 1 publish waits for the
   * reconnect, and an admin request must not hang on that.
   */
  syncWaitMs?: number;
}

/**
 * The edge half of the sync protocol (DESIGN §3) over any `Transport`: uplink deltas through a
 * durable outbox (extract → error feedback → compress → outbox in one transaction; publish in
 * ≤ 128 KB chunks; delete on ack; re-send with backoff and at reconnect), signed downlink
 * releases (verify, rebase un-synced learning, persist, swap), retained node status with an
 * offline will, and federated evaluation reports after every swap. Triggers: the interval,
 * central's `open`/`sync-now`, and `syncNow()` (POST /admin/sync). Serving and learning never
 * wait for it; with the broker down the outbox simply grows.
 *
 * @example
 * const sync = new EdgeSyncClient({ nodeId: 'edge-1', region: 'eu', transport, trust: new ManifestTrust(keys) });
 * await startEdgeNode({ ..., sync });
 */
export class EdgeSyncClient implements SyncClient {
  metrics!: SyncMetrics;
  private ctx: SyncContext | null = null;
  private edb!: EdgeDatabase;
  private memory!: SyncMemory;
  private rounds!: RoundState;
  private uplink!: DeltaUplink;
  private receiver!: ModelReceiver;
  private statusPublisher!: StatusPublisher;
  private readonly scheduler: Scheduler;
  private readonly logger: Logger;
  private readonly quality: Record<string, number> = {};
  private readonly unsubs: Unsubscribe[] = [];
  private readonly waiters = new InstallWaiters(() => this.ctx?.holder.version ?? -1);
  private cancelInterval: (() => void) | null = null;
  private evals: EvalReporter | null = null;
  private connectError: string | null = null;
  private stopped = false;

  constructor(private readonly opts: EdgeSyncOptions) {
    this.scheduler = opts.scheduler ?? systemScheduler;
    this.logger = opts.logger ?? pino({ level: 'silent' });
  }

  async start(ctx: SyncContext): Promise<void> {
    if (!ctx.edb) throw new DomainError('bad_config', 500, 'EdgeSyncClient needs the edge database in its context');
    const { transport, nodeId, region } = this.opts;
    this.ctx = ctx;
    const edb = (this.edb = ctx.edb);
    this.metrics = createSyncMetrics(ctx.registry, { outboxBytes: () => (edb.db.open ? edb.outbox.stats().bytes : 0), connected: () => transport.connected });
    this.memory = { reference: edb.syncRef.load(), residual: edb.outbox.loadResidual(ctx.holder.model.config.dim) };
    this.rounds = new RoundState(edb.config.get<PersistedRoundState>(ROUND_STATE_KEY) ?? { lastCutSeq: 0, answeredRound: null, carryFrom: null });
    const pinned = edb.config.get<string>('sync.pinnedKey');
    if (pinned) this.opts.trust.pin(pinned);
    this.opts.trust.onPin = (keyId, spki) => {
      edb.config.set('sync.pinnedKey', spki);
      this.logger.warn({ keyId }, 'trusting central key on first use');
    };
    const common = { transport, scheduler: this.scheduler, metrics: this.metrics, logger: this.logger };
    const evaluate = this.opts.evaluate ?? this.holdoutEvaluator(ctx);
    if (evaluate) this.evals = new EvalReporter({ ...common, nodeId, evaluate });
    this.uplink = new DeltaUplink({
      ...common, edb, nodeId, resendBaseMs: this.opts.resendBaseMs, resendMaxMs: this.opts.resendMaxMs,
      onVerdict: (ack) => {
        if (ack.status === 'rejected') this.count('deltas_rejected');
      },
    });
    this.receiver = new ModelReceiver({
      ...common, nodeId, holder: ctx.holder, trust: this.opts.trust, maxBufferedBytes: this.opts.maxModelBytes,
      // The retained manifest is re-read at the status cadence: the edge's heartbeat finds a lost release.
      recheckMs: this.opts.statusIntervalMs,
      install: (weights, manifest, via) => this.install(weights, manifest, via),
      onRejected: (reason, _message, version) => {
        this.count(`model_rejected.${reason}`);
        if (version !== null) this.quality.last_rejected_version = version;
        void this.statusPublisher.publishNow();
      },
    });
    this.statusPublisher = new StatusPublisher({
      ...common, nodeId, region, intervalMs: this.opts.statusIntervalMs, httpUrl: ctx.httpUrl, snapshot: () => this.snapshot(),
    });
    // Handlers first, then connect: a resumed session delivers queued acks and retained state at once.
    await this.uplink.start();
    await this.receiver.start();
    this.unsubs.push(await transport.subscribe(topics.controlRounds(), (m) => this.onControl(m.payload)));
    this.statusPublisher.start();
    this.armInterval();
    // Never block the edge on the broker: mqtt.js keeps retrying in the background.
    transport.connect().catch((e: Error) => {
      this.connectError = e.message;
      this.logger.warn({ err: e.message }, 'broker not reachable yet; serving and learning locally');
    });
    await Promise.resolve();
    void this.uplink.kick();
  }

  async stop(): Promise<void> {
    if (this.stopped || !this.ctx) return;
    this.stopped = true;
    this.cancelInterval?.();
    await this.statusPublisher.stop();
    await Promise.allSettled([this.uplink.stop(), this.receiver.stop(), ...this.unsubs.splice(0).map((u) => u())]);
    await this.opts.transport.close();
  }

  status(): SyncStatus {
    const t = this.opts.transport;
    const outbox = this.edb?.db.open ? this.edb.outbox.stats().entries : 0;
    const v = this.ctx?.holder.version ?? 0;
    const detail = t.connected ? `model v${v}, outbox ${outbox}` : `broker offline${this.connectError ? ` (${this.connectError})` : ''}, outbox ${outbox}`;
    return { connected: t.connected, detail };
  }

  /** The round central announced and has not closed yet (null: none known). */
  get openRound(): OpenRound | null {
    return this.rounds?.open ?? null;
  }

  /**
   * Extracts a delta now (even if the open round was answered) and publishes the outbox,
   * waiting at most `syncWaitMs` for the publish pass; `published` says whether it finished.
   */
  async syncNow(trigger: 'admin' | 'sync-now' = 'admin'): Promise<SyncNowResult> {
    const r = this.extract(trigger);
    let cancel: () => void = () => undefined;
    const timedOut = new Promise<false>((resolve) => {
      cancel = this.scheduler.setTimer(this.opts.syncWaitMs ?? 5_000, () => resolve(false));
    });
    const published = await Promise.race([this.uplink.kick().then(() => this.opts.transport.connected), timedOut]);
    cancel();
    return { ...r, published, outbox: this.edb.db.open ? this.edb.outbox.stats().entries : r.outbox };
  }

  /** Resolves when no publish pass is running (re-send timers are armed then). */
  idle(): Promise<void> {
    return this.uplink.idle();
  }

  /** Calls `listener(version)` after every installed global model. */
  onInstalled(listener: (version: number) => void): () => void {
    return this.waiters.on(listener);
  }

  /** Resolves once the installed version is at least `version`; rejects after `timeoutMs`. */
  waitForVersion(version: number, timeoutMs = 10_000): Promise<void> {
    return this.waiters.waitFor(version, timeoutMs);
  }

  private extract(trigger: 'interval' | 'round-open' | 'admin' | 'sync-now'): SyncNowResult {
    const ctx = this.ctx!;
    const { holder } = ctx;
    const base = (reason: string): SyncNowResult => ({
      deltaId: null, reason, outbox: this.edb.db.open ? this.edb.outbox.stats().entries : 0,
      modelVersion: holder.version, connected: this.opts.transport.connected,
    });
    if (this.stopped || !this.edb.db.open) return base('stopped');
    const forced = trigger === 'admin' || trigger === 'sync-now';
    const blocked = this.rounds.blocker({ version: holder.version, samples: holder.model.tracker.samples, forced });
    if (blocked) return base(blocked);
    const open = this.rounds.open;
    const policy = open?.policy;
    const deltaId = (this.opts.newId ?? randomUUID)();
    const x = extractToOutbox({
      edb: this.edb, holder, memory: this.memory, deltaId, now: this.scheduler.now(),
      roundId: open?.id ?? null, appliedSeq: ctx.appliedSeq?.() ?? this.rounds.persisted.lastCutSeq,
      rounds: this.rounds.persisted, checkpoint: ctx.checkpoint,
      spec: { codec: policy?.codec ?? this.opts.defaultCodec ?? 'topk-int8', topK: policy?.topK ? { k: policy.topK } : undefined, rng: this.opts.rng },
    });
    if (!x) return base('nothing to send');
    this.rounds.persisted = x.rounds;
    const m = this.metrics;
    m.deltasCreated.inc();
    m.bytesUp.inc(x.cut.bytes.byteLength);
    m.denseBytesUp.inc(x.cut.denseBytes);
    this.logger.info({ trigger, roundId: x.meta.roundId, bytes: x.cut.bytes.byteLength, rows: x.meta.rows, samples: x.meta.samples }, 'delta extracted');
    return {
      ...base(''), reason: undefined, deltaId, bytes: x.cut.bytes.byteLength, denseBytes: x.cut.denseBytes,
      rows: x.meta.rows, samples: x.meta.samples,
    };
  }

  private install(weights: ModelWeights, manifest: ModelManifestMsg, via: 'snapshot' | 'patch'): void {
    const ctx = this.ctx!;
    const from = ctx.holder.version;
    installGlobalModel({ edb: this.edb, holder: ctx.holder, memory: this.memory, weights, manifest, now: this.scheduler.now(), checkpoint: ctx.checkpoint });
    this.applyProx();
    this.metrics.modelSwaps.inc();
    this.metrics.lastSync.set(this.scheduler.now() / 1000);
    this.logger.info({ from, version: manifest.version, via }, 'global model installed');
    void this.statusPublisher.publishNow();
    void this.evals?.report(manifest.version);
    this.waiters.installed(manifest.version);
    // A round on this base may already be waiting for our delta.
    if (this.rounds.open && this.rounds.open.baseVersion <= manifest.version) this.scheduleExtract('round-open');
  }

  private onControl(payload: Uint8Array): void {
    if (this.stopped || payload.byteLength === 0) return;
    const r = decode(RoundControlMsg, payload);
    if (!r.ok) return this.logger.warn({ code: r.error.code, err: r.error.message }, 'invalid round control dropped');
    const m = r.value;
    const node = { nodeId: this.opts.nodeId, region: this.opts.region };
    if (m.type === 'sync-now') {
      // Fire and forget, so catch: an unhandled rejection (e.g. SQLITE_FULL) would end the process.
      if (targets(m, node)) {
        this.syncNow('sync-now').catch((e: Error) => this.logger.error({ err: e.message }, 'sync-now failed; the learning stays for the next try'));
      }
      return;
    }
    if (this.rounds.onControl(m, node) && this.edb.db.open) this.edb.config.set(ROUND_STATE_KEY, this.rounds.persisted);
    if (m.type === 'open') {
      // A round on a base this edge has not got: its manifest was lost, ask for it again now.
      if (m.baseVersion > this.ctx!.holder.version && (this.receiver.pending ?? 0) < m.baseVersion) this.receiver.recheck();
      this.applyProx();
      this.scheduleExtract('round-open');
      // Deltas sent while no round was open got no verdict: send them now, not after their backoff.
      void this.uplink.resendAll();
    }
  }

  /** Extraction runs off the message handler, on the scheduler's next turn. */
  private scheduleExtract(trigger: 'round-open'): void {
    this.scheduler.setTimer(0, () => this.tryExtract(trigger));
  }

  private tryExtract(trigger: 'round-open' | 'interval'): void {
    if (this.stopped) return;
    try {
      this.extract(trigger);
    } catch (e) {
      this.logger.error({ err: (e as Error).message }, 'delta extraction failed; the learning stays for the next try');
    }
    void this.uplink.kick();
  }

  /** FedProx μ from the round policy: pull local training toward the installed global model. */
  private applyProx(): void {
    const mu = this.rounds.open?.policy.proxMu;
    const { holder } = this.ctx!;
    if (mu !== undefined) holder.model.config.proxMu = mu;
    holder.model.anchor = holder.model.config.proxMu > 0 ? holder.base : null;
  }

  private armInterval(): void {
    this.cancelInterval = this.scheduler.setTimer(this.opts.syncIntervalMs ?? 10_000, () => {
      this.tryExtract('interval');
      if (!this.stopped) this.armInterval();
    });
  }

  private snapshot() {
    const ctx = this.ctx!;
    const s = ctx.stats?.() ?? { eventsIngested: 0, learnerLagMs: 0 };
    return {
      modelVersion: ctx.holder.version, outboxSize: this.edb.db.open ? this.edb.outbox.stats().entries : 0,
      eventsIngested: s.eventsIngested, learnerLagMs: s.learnerLagMs, quality: { ...s.quality, ...this.quality },
    };
  }

  private count(key: string): void {
    this.quality[key] = (this.quality[key] ?? 0) + 1;
  }

  private holdoutEvaluator(ctx: SyncContext): (() => HoldoutResult | null) | null {
    const policy = this.opts.holdout;
    if (!policy || !ctx.userState || !ctx.edb) return null;
    const ev = new HoldoutEvaluator({ edb: ctx.edb, holder: ctx.holder, userState: ctx.userState, policy });
    return () => ev.evaluate();
  }
}
