import {
  decode, DeltaChunkMsg, DomainError, encode, isDomainError, parseTopic, topicFilters, topics,
  type DeltaAckMsg,
} from '@edgerec/proto-schemas';
import type { Transport, TransportMessage, Unsubscribe } from '@edgerec/services/bus';
import { decodeDelta, validateDelta, validateDeltaCounts } from '@edgerec/services/compression';
import type { ModelWeights } from '@edgerec/services/model';
import type { Logger } from '../central-logger.js';
import type { CentralMetrics } from '../metrics/index.js';
import type { CentralStore } from '../store/index.js';
import { rowsPerSampleOf } from './count-bounds.js';
import { DEFAULT_CHUNK_LIMITS, DeltaReassembly, type ChunkLimits } from './delta-reassembly.js';
import type { AdmitResult, DeltaAdmission } from './round-manager.js';
import type { Scheduler } from '@edgerec/services/common';

export interface DeltaIntakeDeps {
  transport: Transport;
  store: CentralStore;
  scheduler: Scheduler;
  logger: Logger;
  metrics?: CentralMetrics;
  /** shape deltas must fit (the active model) */
  model: () => ModelWeights;
  admit: (d: DeltaAdmission) => Promise<AdmitResult>;
  limits?: Partial<ChunkLimits>;
}


/**
 * Largest |value| a delta may carry. Embedding values live around ±1 and a round's update is
 * far smaller; this only refuses values that would overflow the aggregate (3e38 is finite but
 * turns every score into NaN), while robust aggregation handles merely large updates.
 */
export const MAX_DELTA_ABS = 1e3;

/**
 * Receives `nodes/+/deltas`: validates every chunk, refuses forged node ids, quarantined
 * nodes and malformed deltas, reassembles chunks within `ChunkLimits`, checks the sha256,
 * decodes the delta, refuses counts training cannot have produced (`bad_counts`, see
 * validateDeltaCounts: the weights of count-weighted FedAvg are claimed by the edge), hands
 * it to the round manager (which counts it exactly once and applies the round's
 * `maxSamples`) and publishes the verdict on `nodes/{id}/acks`.
 *
 * @example
 * const intake = new DeltaIntake({ transport, store, scheduler, logger, model: () => active.weights, admit: (d) => rm.admit(d) });
 * await intake.start();
 */
export class DeltaIntake {
  private readonly reassembly: DeltaReassembly;
  private unsubscribe: Unsubscribe | null = null;
  private cancelSweep: (() => void) | null = null;
  private stopped = false;
  private rowsPerSample: number | null = null;

  constructor(private readonly deps: DeltaIntakeDeps) {
    this.reassembly = new DeltaReassembly({ ...DEFAULT_CHUNK_LIMITS, ...deps.limits }, () => deps.scheduler.now());
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.deps.transport.subscribe(topicFilters.allNodeDeltas, (m) => this.handle(m));
    this.scheduleSweep();
  }

  /**
   * Stops handling deliveries. `unsubscribe: false` leaves the broker subscription in place,
   * so a persistent session keeps queueing deltas for the next start.
   */
  async stop(unsubscribe = true): Promise<void> {
    this.stopped = true;
    this.cancelSweep?.();
    this.cancelSweep = null;
    if (unsubscribe) await this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** Deltas currently being reassembled, and the bytes they hold. */
  get pending(): { count: number; bytes: number } {
    return { count: this.reassembly.pendingCount, bytes: this.reassembly.pendingBytes };
  }

  /** Handles one delivery; exposed for tests that bypass the transport. */
  async handle(msg: TransportMessage): Promise<void> {
    const topic = parseTopic(msg.topic);
    if (this.stopped || topic?.kind !== 'nodeDeltas' || msg.payload.byteLength === 0) return;
    const { logger, metrics, store } = this.deps;
    metrics?.bytesUp.inc(msg.payload.byteLength);
    const r = decode(DeltaChunkMsg, msg.payload);
    if (!r.ok) {
      metrics?.deltaRejections.inc({ reason: r.error.code });
      logger.warn({ nodeId: topic.nodeId, code: r.error.code, err: r.error.message }, 'undecodable delta chunk');
      return;
    }
    const m = r.value;
    if (m.nodeId !== topic.nodeId) {
      // Only the broker's ACL stands between nodes; if it lets this through, refuse loudly.
      metrics?.deltaRejections.inc({ reason: 'node_id_mismatch' });
      logger.warn({ topicNodeId: topic.nodeId, claimedNodeId: m.nodeId, deltaId: m.deltaId }, 'forged delta: node id does not match topic');
      store.audit.append({
        ts: this.deps.scheduler.now(), actor: topic.nodeId, role: 'node', action: 'delta.forged_node_id',
        target: m.nodeId, details: { deltaId: m.deltaId },
      });
      return this.ack(topic.nodeId, m.deltaId, 'rejected', 'node_id_mismatch: payload nodeId differs from topic', null);
    }
    const lastChunk = m.chunkIndex === m.chunkCount - 1;
    const existing = store.deltas.get(m.deltaId);
    if (existing) {
      // A re-send of a delta already decided: answer once per re-send (on its last chunk).
      if (!lastChunk) return;
      if (existing.nodeId !== m.nodeId) return this.reject(m, 'delta_id_conflict', 'deltaId already used by another node');
      if (existing.status === 'counted' || existing.status === 'late') {
        metrics?.deltas.inc({ outcome: 'duplicate' });
        return this.ack(m.nodeId, m.deltaId, 'duplicate', undefined, existing.roundId);
      }
      return this.ack(m.nodeId, m.deltaId, 'rejected', existing.reason ?? existing.status, null);
    }
    if (store.nodes.isQuarantined(m.nodeId)) {
      this.refuseStored(m, 'quarantined', 'quarantined: node is quarantined');
      return this.reject(m, 'quarantined', 'node is quarantined');
    }
    const bytes = this.reassembly.add(m);
    this.deps.metrics?.pendingChunkBytes.set(this.reassembly.pendingBytes);
    if (bytes === 'pending') return;
    if (bytes instanceof DomainError) return this.reject(m, bytes.code, bytes.message);
    await this.complete(m, bytes);
  }

  private async complete(m: DeltaChunkMsg, bytes: Uint8Array): Promise<void> {
    let delta;
    try {
      delta = decodeDelta(bytes);
      const model = this.deps.model();
      if (delta.dim !== model.dim) throw new DomainError('bad_delta', 400, `dim ${delta.dim} ≠ model dim ${model.dim}`);
      validateDelta(delta, { numItems: model.numItems, adapterLength: model.adapter.length, maxAbs: MAX_DELTA_ABS });
      if (delta.samples !== m.samples) throw new DomainError('bad_counts', 400, `header claims ${m.samples} samples, the delta ${delta.samples}`);
      // The model config is fixed when central creates version 1: read it once.
      this.rowsPerSample ??= rowsPerSampleOf(this.deps.store);
      validateDeltaCounts(delta, { rowsPerSample: this.rowsPerSample });
    } catch (e) {
      if (!isDomainError(e)) throw e;
      this.refuseStored(m, 'rejected', `${e.code}: ${e.message}`);
      return this.reject(m, e.code, e.message);
    }
    const verdict = await this.deps.admit({
      deltaId: m.deltaId, nodeId: m.nodeId, roundId: m.roundId, baseVersion: m.baseVersion,
      samples: m.samples, codec: m.codec, bytes,
    });
    if (!verdict) return; // shutting down: no ack, the edge keeps the delta and re-sends
    await this.ack(m.nodeId, m.deltaId, verdict.status, verdict.reason, verdict.roundId);
  }

  /** Records a refused delta so a re-send gets the same answer without being reassembled. */
  private refuseStored(m: DeltaChunkMsg, status: 'rejected' | 'quarantined', reason: string): void {
    this.deps.store.deltas.insert({
      deltaId: m.deltaId, nodeId: m.nodeId, roundId: null, baseVersion: m.baseVersion, samples: m.samples,
      codec: m.codec, bytes: null, size: m.totalBytes, receivedAt: this.deps.scheduler.now(), status, weight: 0, reason,
    });
  }

  private async reject(m: DeltaChunkMsg, code: string, message: string): Promise<void> {
    this.deps.metrics?.deltaRejections.inc({ reason: code });
    this.deps.metrics?.deltas.inc({ outcome: 'rejected' });
    this.deps.logger.warn({ nodeId: m.nodeId, deltaId: m.deltaId, code, err: message }, 'delta rejected');
    await this.ack(m.nodeId, m.deltaId, 'rejected', `${code}: ${message}`.slice(0, 512), null);
  }

  private async ack(nodeId: string, deltaId: string, status: DeltaAckMsg['status'], reason: string | undefined, roundId: number | null): Promise<void> {
    const msg: DeltaAckMsg = { v: 1, deltaId, status, roundId, ts: this.deps.scheduler.now() };
    if (reason !== undefined) msg.reason = reason.slice(0, 512);
    try {
      await this.deps.transport.publish(topics.nodeAcks(nodeId), encode(msg));
    } catch (e) {
      this.deps.logger.warn({ nodeId, deltaId, err: e instanceof Error ? e.message : String(e) }, 'ack publish failed');
    }
  }

  /** Drops assemblies that stopped receiving chunks, even when no new traffic arrives. */
  private scheduleSweep(): void {
    const every = Math.max(1, Math.floor(this.reassembly.limits.ttlMs / 2));
    this.cancelSweep = this.deps.scheduler.setTimer(every, () => {
      for (const key of this.reassembly.sweep()) {
        this.deps.metrics?.deltaRejections.inc({ reason: 'chunk_ttl_expired' });
        this.deps.logger.warn({ key }, 'incomplete delta dropped after TTL');
      }
      this.deps.metrics?.pendingChunkBytes.set(this.reassembly.pendingBytes);
      if (this.cancelSweep) this.scheduleSweep();
    });
  }
}
