import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DomainError } from '@edgerec/proto-schemas';
import { MqttTransport, type Transport } from '@edgerec/services/bus';
import type { ModelWeights } from '@edgerec/services/model';
import {
  ActiveModel, CentralRoundPolicy, DeltaIntake, ensureInitialModel, EvalIntake, RoundFinalizer, RoundManager,
  StatusTracker, systemScheduler, ValidationGate,
  type CentralHoldout, type CentralRoundPolicyInput, type ChunkLimits, type InitialModelOptions, type Scheduler,
} from './aggregator/index.js';
import { selectComputeBackend, type ComputeBackend } from './backend/index.js';
import { silentLogger, type Logger } from './central-logger.js';
import { loadOrCreateSigner, ModelPublisher, type ManifestSigner, type SnapshotCodecName } from './distribution/index.js';
import { createCentralMetrics, type CentralMetrics } from './metrics/index.js';
import { KV_KEYS, openCentralStore, type CentralStore } from './store/index.js';

export interface StartCentralOptions {
  /** SQLite file, signing key and public key live here */
  dataDir: string;
  /** MQTT broker, e.g. mqtt://127.0.0.1:1883 (ignored when `transport` is given) */
  brokerUrl?: string;
  username?: string;
  password?: string;
  /** 4 for the embedded aedes broker, 5 (default) for mosquitto */
  protocolVersion?: 4 | 5;
  /** MQTT client id of the persistent session (default 'edgerec-central') */
  clientId?: string;
  /** injected transport (MemoryTransport in tests/eval); the service owns and closes it */
  transport?: Transport;
  policy?: CentralRoundPolicyInput;
  /** central's holdout users for the validation gate */
  holdout?: CentralHoldout;
  gate?: { threshold?: number; requireHoldout?: boolean };
  /** shape of version 1, needed on the first start only */
  model?: InitialModelOptions;
  logger?: Logger;
  scheduler?: Scheduler;
  /** 'auto' (default): tfjs-node-gpu → tfjs-node → tfjs-wasm → typed arrays */
  backend?: ComputeBackend | 'auto';
  /** PEM file of the ed25519 signing key (else $EDGEREC_SIGNING_KEY_FILE, else generated in dataDir) */
  signingKeyFile?: string;
  env?: NodeJS.ProcessEnv;
  chunkLimits?: Partial<ChunkLimits>;
  snapshotCodec?: SnapshotCodecName;
  /** uniform [0,1) source for DP noise (default crypto-random) */
  rng?: () => number;
}

/** A running central aggregator. */
export interface CentralService {
  readonly store: CentralStore;
  readonly metrics: CentralMetrics;
  readonly signer: Pick<ManifestSigner, 'keyId' | 'publicKey' | 'publicKeyPem'>;
  readonly backend: ComputeBackend;
  readonly rounds: RoundManager;
  readonly publisher: ModelPublisher;
  readonly transport: Transport;
  activeVersion(): number;
  /**
   * Operator model switch (admin promote/rollback/canary end), serialized with round work:
   * `choose` runs in one SQLite transaction with setting kv active_version to the version it
   * returns (it may register that version and write audit rows); then the model is activated
   * in memory, its manifest published, and an open round on the old base reopened on it.
   */
  switchModel(choose: (current: { version: number; weights: ModelWeights }) => number, reason: string): Promise<number>;
  /** Artifact bytes for HTTP download (admin API); null when unknown. */
  artifactBytes(version: number, kind?: 'snapshot' | 'patch'): Uint8Array | null;
  /** Chunked deltas being reassembled right now, and the bytes they hold. */
  pendingDeltas(): { count: number; bytes: number };
  /** Resolves when queued protocol work (admissions, round closes, aggregation) is done. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts central (DESIGN §4): opens the SQLite state, loads or creates the signing key and
 * the first model, picks the compute backend, subscribes to node status/deltas/eval,
 * connects, resumes or opens a round and (re)publishes the active model's retained manifest.
 * A restart resumes an open round from SQLite; deltas are deduplicated by deltaId.
 *
 * @example
 * const central = await startCentral({ dataDir: '.data/central', brokerUrl: 'mqtt://127.0.0.1:1883',
 *   protocolVersion: 4, policy: { minNodes: 3 }, model: { numItems: 1682 }, logger });
 * await central.stop();
 */
export async function startCentral(opts: StartCentralOptions): Promise<CentralService> {
  const logger = opts.logger ?? silentLogger;
  const scheduler = opts.scheduler ?? systemScheduler;
  const policy = CentralRoundPolicy.parse(opts.policy ?? {});
  mkdirSync(opts.dataDir, { recursive: true });
  const signer = loadOrCreateSigner({ dataDir: opts.dataDir, keyFile: opts.signingKeyFile, env: opts.env, logger });
  const transport = opts.transport ?? mqttTransport(opts);
  const store = openCentralStore(join(opts.dataDir, 'central.sqlite'));
  try {
    store.kv.set(KV_KEYS.signingKeyId, signer.keyId);
    if (ensureInitialModel(store, opts.model, scheduler.now(), opts.snapshotCodec)) logger.info({ version: 1 }, 'created initial model');
    const active = ActiveModel.load(store);
    const backend = opts.backend && opts.backend !== 'auto' ? opts.backend : (await selectComputeBackend({ logger })).backend;
    const metrics = createCentralMetrics();
    metrics.modelVersion.set(active.version);
    const publisher = new ModelPublisher({ transport, store, signer, logger, metrics });
    const gate = new ValidationGate({ holdout: opts.holdout, backend, ...opts.gate });
    const finalizer = new RoundFinalizer({
      store, active, gate, publisher, scheduler, logger, metrics, snapshotCodec: opts.snapshotCodec, rng: opts.rng,
    });
    let markReady!: (ok: boolean) => void;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = (ok) => (ok ? resolve() : reject(new DomainError('broker_unreachable', 503, 'transport did not connect')));
    });
    const rounds = new RoundManager({
      store, transport, scheduler, logger, metrics, policy, ready,
      activeVersion: () => active.version,
      finalize: (round) => finalizer.finalize(round),
    });
    const started = rounds.start();
    const intake = new DeltaIntake({
      transport, store, scheduler, logger, metrics, limits: opts.chunkLimits,
      model: () => active.weights,
      admit: (d) => rounds.admit(d),
    });
    const tracker = new StatusTracker({ transport, store, scheduler, logger, metrics, onChange: () => rounds.nodesChanged() });
    const evals = new EvalIntake({ transport, store, logger });
    // Handlers first, then connect: a resumed persistent session delivers what was queued at once.
    await Promise.all([tracker.start(), evals.start(), intake.start()]);
    try {
      if (!transport.connected) await transport.connect();
      markReady(true);
    } catch (e) {
      markReady(false);
      await started.catch(() => undefined);
      await transport.close();
      throw e;
    }
    await started;
    await publisher.publish(active.version);
    logger.info({ version: active.version, keyId: signer.keyId, backend: backend.name }, 'central started');

    let stopping: Promise<void> | null = null;
    return {
      store, metrics, backend, rounds, publisher, transport,
      signer: { keyId: signer.keyId, publicKey: signer.publicKey, publicKeyPem: signer.publicKeyPem },
      activeVersion: () => active.version,
      switchModel: (choose, reason) => rounds.supersede(async () => {
        const version = store.transaction(() => {
          const v = choose({ version: active.version, weights: active.weights });
          store.kv.set(KV_KEYS.activeVersion, v);
          return v;
        });
        active.set(version, ActiveModel.weightsOf(store, version));
        metrics.modelVersion.set(version);
        logger.info({ version, reason }, 'model switched by operator');
        await publisher.publish(version);
        return version;
      }, reason),
      artifactBytes: (version, kind) => publisher.artifactBytes(version, kind),
      pendingDeltas: () => intake.pending,
      idle: () => rounds.idle(),
      stop() {
        stopping ??= (async () => {
          // Keep broker subscriptions: the persistent session queues deltas until the next start.
          await Promise.all([intake.stop(false), tracker.stop(false), evals.stop(false)]);
          await rounds.stop();
          await transport.close();
          backend.dispose();
          store.close();
          logger.info({}, 'central stopped');
        })();
        return stopping;
      },
    };
  } catch (e) {
    store.close();
    throw e;
  }
}

function mqttTransport(opts: StartCentralOptions): Transport {
  if (!opts.brokerUrl) throw new DomainError('bad_config', 400, 'startCentral needs brokerUrl or transport');
  return new MqttTransport({
    url: opts.brokerUrl,
    clientId: opts.clientId ?? 'edgerec-central',
    username: opts.username,
    password: opts.password,
    protocolVersion: opts.protocolVersion ?? 5,
    persistent: true,
  });
}
