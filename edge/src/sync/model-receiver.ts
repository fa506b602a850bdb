import { createHash } from 'node:crypto';
import { decode, ModelChunkMsg, parseTopic, TOPIC_PREFIX, topicFilters, topics, type ModelManifestMsg } from '@edgerec/proto-schemas';
import type { Transport, TransportMessage, Unsubscribe } from '@edgerec/services/bus';
import { applyPatch, decodePatch, decodeSnapshot } from '@edgerec/services/compression';
import type { ModelWeights } from '@edgerec/services/model';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ModelHolder } from '../model-holder.js';
import { ModelChunkBuffer } from './model-chunk-buffer.js';
import { verifyArtifact, type ManifestTrust } from './manifest-trust.js';
import type { Scheduler } from '@edgerec/services/common';
import type { SyncMetrics } from './sync-metrics.js';

/**
 * Patch chunks of every version: not retained, so they are followed live. Snapshot chunks
 * (retained) are subscribed per version, only when the patch does not fit or is incomplete.
 */
const ALL_PATCH_CHUNKS = topicFilters.allModelPatchChunks;


/** Refusals remembered for dedupe. */
const MAX_REMEMBERED_REFUSALS = 1024;
export interface ModelReceiverDeps {
  transport: Transport;
  /** this edge: it also takes releases from its own canary topic */
  nodeId: string;
  holder: ModelHolder;
  trust: ManifestTrust;
  scheduler: Scheduler;
  metrics: SyncMetrics;
  logger: Logger;
  /** installs verified weights (rebase, persist, swap); throws DomainError('bad_model') on a shape it cannot take */
  install: (weights: ModelWeights, manifest: ModelManifestMsg, via: 'snapshot' | 'patch') => void;
  /** told once per refused release (version + reason) */
  onRejected: (reason: string, message: string, version: number | null) => void;
  /** budget for chunks of releases not yet installed (default 256 MiB) */
  maxBufferedBytes?: number;
  /** re-subscribe the version's retained snapshot while it is still incomplete, this often after its manifest (default 5 s) */
  refetchAfterMs?: number;
  /** re-read the retained manifest this often, so a lost one is found again (default 15 s; 0: never) */
  recheckMs?: number;
}

/**
 * Downlink (DESIGN §3): listens to the retained `models/manifest` and to every artifact chunk;
 * on a manifest newer than the installed version it verifies the Ed25519 signature against
 * the trusted central keys, collects the artifact — the sparse patch when it starts from the
 * installed version and arrived complete, else the retained int8 snapshot — checks size and
 * sha256, decodes it and hands the weights to `install`. A bad signature, key or hash is
 * refused with its reason (the edge keeps serving its current model).
 *
 * @example
 * const rx = new ModelReceiver({ transport, holder, trust, scheduler, metrics, logger, install, onRejected });
 * await rx.start();
 */
export class ModelReceiver {
  private readonly buffer: ModelChunkBuffer;
  private target: ModelManifestMsg | null = null;
  private readonly refused = new Set<string>();
  private readonly unsubs: Unsubscribe[] = [];
  private refetch: { version: number; unsubscribe: Promise<Unsubscribe> | null; cancel: () => void } | null = null;
  private recheckSub: Promise<Unsubscribe> | null = null;
  private cancelRecheck: (() => void) | null = null;
  private stopped = false;

  constructor(private readonly deps: ModelReceiverDeps) {
    this.buffer = new ModelChunkBuffer({ maxBytes: deps.maxBufferedBytes ?? 256 * 1024 * 1024 });
  }

  async start(): Promise<void> {
    const { transport } = this.deps;
    this.unsubs.push(await transport.subscribe(ALL_PATCH_CHUNKS, (m) => this.onChunk(m)));
    this.unsubs.push(await transport.subscribe(topics.modelManifest(), (m) => this.onManifest(m)));
    // A canary release for this node only (central's admin canary): same checks, same install.
    this.unsubs.push(await transport.subscribe(topics.modelCanary(this.deps.nodeId), (m) => this.onManifest(m)));
    this.armRecheck();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clearRefetch();
    this.cancelRecheck?.();
    const recheck = this.recheckSub?.then((u) => u());
    await Promise.allSettled([recheck, ...this.unsubs.splice(0).map((u) => u())]);
  }

  /**
   * Asks the broker for the retained manifest again (a fresh SUBSCRIBE re-delivers it). QoS 1
   * does not cover every loss — a broker drops messages of a full offline queue, a proxy may
   * lose them — and without this an edge that missed a manifest would stay on its version
   * until the next release. Cheap: one retained message; a known release is ignored.
   */
  recheck(): void {
    if (this.stopped) return;
    const previous = this.recheckSub;
    this.recheckSub = (previous ? previous.then((u) => u()).catch(() => undefined) : Promise.resolve())
      .then(() => this.deps.transport.subscribe(topics.modelManifest(), (m) => this.onManifest(m)));
    this.recheckSub.catch(() => undefined); // offline: the next recheck tries again
  }

  /** The release being collected, if any. */
  get pending(): number | null {
    return this.target?.version ?? null;
  }

  private onManifest(msg: TransportMessage): void {
    if (this.stopped || msg.payload.byteLength === 0) return; // empty: a cleared retained message
    // A retained re-delivery is the same bytes: refusals are deduped by them, so two different
    // bad manifests are both counted and reported, a re-read of the same one is not.
    const seen = createHash('sha256').update(msg.payload).digest('hex');
    const raw = decode(z.unknown(), msg.payload);
    if (!raw.ok) return this.reject('malformed_manifest', raw.error.message, null, seen);
    const r = this.deps.trust.verify(raw.value);
    if (!r.ok) return this.reject(r.code, r.message, versionOf(raw.value), seen);
    const m = r.value;
    const { holder } = this.deps;
    if (m.version <= holder.version || (this.target && this.target.version >= m.version)) return;
    if (m.dim !== holder.model.config.dim || m.numItems < holder.numItems) {
      return this.reject('shape_mismatch', `release ${m.version} is ${m.numItems}×${m.dim}, edge holds ${holder.numItems}×${holder.model.config.dim}`, m.version);
    }
    this.target = m;
    this.buffer.dropBelow(m.version);
    this.deps.logger.info({ version: m.version, parent: m.parent, size: m.size, patch: m.patch?.size }, 'model release announced');
    // The patch was published before the manifest, so it is normally here already; without a
    // patch that fits this edge's version, fetch the retained snapshot at once.
    const patchFits = m.patch !== undefined && m.patch.fromVersion === holder.version;
    this.armRefetch(m.version, !patchFits);
    this.tryInstall();
  }

  private onChunk(msg: TransportMessage): void {
    if (this.stopped || msg.payload.byteLength === 0) return;
    const topic = parseTopic(msg.topic);
    if (topic?.kind !== 'modelChunk' && topic?.kind !== 'modelPatchChunk') return;
    const r = decode(ModelChunkMsg, msg.payload);
    const kindFits = r.ok && (r.value.kind === 'patch') === (topic.kind === 'modelPatchChunk');
    if (!r.ok || !kindFits || r.value.version !== topic.version || r.value.index !== topic.index) {
      this.deps.logger.warn({ topic: msg.topic, err: r.ok ? 'topic/payload mismatch' : r.error.message }, 'invalid model chunk dropped');
      return;
    }
    const c = r.value;
    this.deps.metrics.bytesDown.inc({ kind: c.kind }, c.data.byteLength);
    if (c.version <= this.deps.holder.version) return;
    this.buffer.add(c);
    if (this.target?.version === c.version) this.tryInstall();
  }

  private tryInstall(): void {
    const m = this.target;
    if (!m || this.stopped) return;
    const { holder } = this.deps;
    if (m.patch && m.patch.fromVersion === holder.version) {
      const patch = this.buffer.complete(m.version, 'patch', Math.max(1, Math.ceil(m.patch.size / m.chunkSize)));
      if (patch) {
        const ok = verifyArtifact(m, patch, 'patch');
        if (ok.ok) {
          const weights = this.decoded(m, () => applyPatch(holder.base, decodePatch(patch)));
          if (weights) return this.finish(m, weights, 'patch');
          return;
        }
        // A broken patch is not fatal while the signed snapshot may still check out.
        this.deps.logger.warn({ version: m.version, code: ok.code }, ok.message);
        this.buffer.dropArtifact(m.version, 'patch');
      }
    }
    const snapshot = this.buffer.complete(m.version, 'snapshot', m.chunkCount);
    if (!snapshot) return;
    const ok = verifyArtifact(m, snapshot, 'snapshot');
    if (!ok.ok) {
      this.buffer.dropArtifact(m.version, 'snapshot');
      this.target = null;
      this.clearRefetch();
      return this.reject(ok.code, ok.message, m.version);
    }
    const weights = this.decoded(m, () => decodeSnapshot(snapshot));
    if (weights) this.finish(m, weights, 'snapshot');
  }

  private decoded(m: ModelManifestMsg, decodeFn: () => ModelWeights): ModelWeights | null {
    try {
      return decodeFn();
    } catch (e) {
      this.target = null;
      this.clearRefetch();
      this.reject('bad_artifact', (e as Error).message, m.version);
      return null;
    }
  }

  private finish(m: ModelManifestMsg, weights: ModelWeights, via: 'snapshot' | 'patch'): void {
    this.target = null;
    this.clearRefetch();
    try {
      this.deps.install(weights, m, via);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      this.reject(typeof code === 'string' ? code : 'install_failed', (e as Error).message, m.version);
      return;
    }
    this.buffer.dropBelow(m.version + 1);
  }

  private reject(reason: string, message: string, version: number | null, key = `${version ?? '?'}:${reason}`): void {
    if (this.refused.has(key)) return; // the same retained release, re-delivered after a reconnect
    this.refused.add(key);
    // Bounded: a misbehaving publisher cannot grow the set without end.
    if (this.refused.size > MAX_REMEMBERED_REFUSALS) this.refused.delete(this.refused.values().next().value!);
    this.deps.metrics.modelRejected.inc({ reason });
    this.deps.logger.warn({ version, reason }, `model release refused: ${message}`);
    this.deps.onRejected(reason, message, version);
  }

  private armRecheck(): void {
    const every = this.deps.recheckMs ?? 15_000;
    if (every <= 0 || this.stopped) return;
    this.cancelRecheck = this.deps.scheduler.setTimer(every, () => {
      this.recheck();
      this.armRecheck();
    });
  }

  /**
   * Retained snapshot chunks are re-sent on a fresh subscription: the way to get chunks that
   * were missed or evicted. Repeats until the release is complete, as a re-sent chunk can be lost too.
   */
  private armRefetch(version: number, now = false): void {
    this.clearRefetch();
    const refetch: NonNullable<ModelReceiver['refetch']> = { version, unsubscribe: null, cancel: () => {} };
    const every = this.deps.refetchAfterMs ?? 5_000;
    const attempt = (): void => {
      if (this.refetch !== refetch || this.target?.version !== version) return;
      this.deps.logger.info({ version }, 'release incomplete; re-subscribing its retained snapshot');
      // Unsubscribe first, so the next SUBSCRIBE is a new one and the broker re-sends what it retains.
      const previous = refetch.unsubscribe?.then((u) => u()).catch(() => undefined) ?? Promise.resolve();
      refetch.unsubscribe = previous.then(() => this.deps.transport.subscribe(topicFilters.modelChunks(version), (msg) => this.onChunk(msg)));
      refetch.unsubscribe.catch(() => undefined);
      refetch.cancel = this.deps.scheduler.setTimer(every, attempt);
    };
    this.refetch = refetch;
    if (now) attempt();
    else refetch.cancel = this.deps.scheduler.setTimer(every, attempt);
  }

  private clearRefetch(): void {
    const r = this.refetch;
    if (!r) return;
    this.refetch = null;
    r.cancel();
    r.unsubscribe?.then((u) => u()).catch(() => undefined);
  }
}

function versionOf(raw: unknown): number | null {
  const v = (raw as { version?: unknown } | null)?.version;
  return typeof v === 'number' && Number.isSafeInteger(v) ? v : null;
}
