import {
  DeltaAckMsg, decode, encode, MAX_CHUNK_BYTES, topics, type DeltaChunkMsg, type DeltaCodec, type EventWindow,
} from '@edgerec/proto-schemas';
import type { Transport, TransportMessage, Unsubscribe } from '@edgerec/services/bus';
import { sha256Hex, splitChunks } from '@edgerec/services/compression';
import type { EdgeDatabase, OutboxEntry } from '@edgerec/services/store';
import type { Logger } from 'pino';
import type { Scheduler } from '@edgerec/services/common';
import type { SyncMetrics } from './sync-metrics.js';

/** What the outbox keeps next to a delta's bytes, so it can be re-sent after a restart. */
export interface OutboxMeta {
  codec: DeltaCodec;
  roundId: number | null;
  window: EventWindow;
  samples: number;
  rows: number;
  denseBytes: number;
}

export interface DeltaUplinkDeps {
  transport: Transport;
  edb: EdgeDatabase;
  nodeId: string;
  scheduler: Scheduler;
  metrics: SyncMetrics;
  logger: Logger;
  /** first re-send delay; doubles per unacked attempt (default 2 s) */
  resendBaseMs?: number;
  /** longest re-send delay (default 60 s) */
  resendMaxMs?: number;
  /** bytes per chunk, ≤ MAX_CHUNK_BYTES (default) */
  chunkBytes?: number;
  /**
   * longest wait for one chunk's PUBACK before the pass gives up on the delta (default 10 s): a
   * PUBACK lost on a flaky link must not wedge the uplink; the delta's backoff re-send follows
   */
  publishTimeoutMs?: number;
  /** told about every verdict that removed a delta from the outbox */
  onVerdict?: (ack: DeltaAckMsg) => void;
}

/** Rejections that say "not now" rather than "never": the delta stays and is re-sent. */
const TRANSIENT = /^(too_many_pending|chunk_ttl_expired)\b/;

/**
 * Publishes outbox deltas as `DeltaChunkMsg`s (QoS 1) on `nodes/{id}/deltas` and settles them
 * by central's acks on `nodes/{id}/acks`: accepted/duplicate → deleted; rejected → deleted,
 * with the reason recorded and counted (transient refusals are kept). An unacked delta is
 * re-sent with exponential backoff and at every reconnect, always under its deltaId, so
 * central's dedupe makes the effect exactly-once. Nothing is published while offline: the
 * outbox is the durable queue, not the MQTT client's memory.
 *
 * @example
 * const up = new DeltaUplink({ transport, edb, nodeId, scheduler, metrics, logger });
 * await up.start();
 * edb.outbox.add(entry); up.kick();
 */
export class DeltaUplink {
  private readonly attempts = new Map<string, { count: number; nextAt: number }>();
  private flushing: Promise<void> | null = null;
  private again = false;
  private cancelTimer: (() => void) | null = null;
  private readonly offs: (() => void)[] = [];
  private unsubscribe: Unsubscribe | null = null;
  private stopped = false;

  constructor(private readonly deps: DeltaUplinkDeps) {}

  async start(): Promise<void> {
    const { transport, nodeId } = this.deps;
    this.unsubscribe = await transport.subscribe(topics.nodeAcks(nodeId), (m) => this.onAck(m));
    this.offs.push(transport.on('connect', () => this.resendAll()));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
    for (const off of this.offs.splice(0)) off();
    await this.unsubscribe?.().catch(() => undefined);
  }

  /** Publishes what is due now (new deltas, expired backoffs); resolves when this pass is done. */
  kick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.again = true;
    this.flushing ??= this.loop();
    return this.flushing;
  }

  /** One publisher at a time; a kick during a pass makes it go round once more. */
  private async loop(): Promise<void> {
    try {
      while (this.again && !this.stopped) {
        this.again = false;
        await this.publishDue();
      }
    } catch (e) {
      this.deps.logger.warn({ err: (e as Error).message }, 'delta publish pass failed');
    } finally {
      // Synchronous with the last check of `again`: no kick can fall between them.
      this.flushing = null;
      this.arm();
    }
  }

  /** Resolves when no publish pass is running (its re-send timer is then armed). */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Makes every unacked delta due at once (after a reconnect) and publishes. */
  resendAll(): Promise<void> {
    for (const a of this.attempts.values()) a.nextAt = 0;
    return this.kick();
  }

  private async publishDue(): Promise<void> {
    const { transport, edb, scheduler, metrics } = this.deps;
    if (!edb.db.open) return;
    const entries = edb.outbox.list(1000);
    if (entries.length === 0) return;
    // A delta leaves only once its outbox row (and the reset learner state) survive power loss:
    // otherwise a crash could bring back the extracted updates and send them twice.
    await edb.durable();
    for (const entry of entries) {
      if (this.stopped || !transport.connected || !edb.db.open) return;
      const a = this.attempts.get(entry.deltaId) ?? { count: 0, nextAt: 0 };
      const now = scheduler.now();
      if (a.nextAt > now) continue;
      a.count++;
      a.nextAt = now + this.backoff(a.count);
      this.attempts.set(entry.deltaId, a);
      try {
        await this.publish(entry);
      } catch (e) {
        this.deps.logger.warn({ deltaId: entry.deltaId, err: (e as Error).message }, 'delta publish failed; will retry');
        return;
      }
      metrics.deltaPublishes.inc();
    }
  }

  private async publish(entry: OutboxEntry): Promise<void> {
    const meta = entry.meta as unknown as OutboxMeta;
    const { transport, nodeId } = this.deps;
    const parts = splitChunks(entry.bytes, Math.min(this.deps.chunkBytes ?? MAX_CHUNK_BYTES, MAX_CHUNK_BYTES));
    const sha256 = sha256Hex(entry.bytes);
    for (let chunkIndex = 0; chunkIndex < parts.length; chunkIndex++) {
      const msg: DeltaChunkMsg = {
        v: 1, deltaId: entry.deltaId, nodeId, roundId: meta.roundId, baseVersion: entry.baseVersion, window: meta.window,
        samples: meta.samples, codec: meta.codec, chunkIndex, chunkCount: parts.length, totalBytes: entry.bytes.byteLength,
        sha256, data: parts[chunkIndex],
      };
      await this.withTimeout(transport.publish(topics.nodeDeltas(nodeId), encode(msg), { qos: 1 }), entry.deltaId);
    }
  }

  private withTimeout(p: Promise<void>, deltaId: string): Promise<void> {
    let cancel: () => void = () => undefined;
    const timeout = new Promise<never>((_, reject) => {
      const ms = this.deps.publishTimeoutMs ?? 10_000;
      cancel = this.deps.scheduler.setTimer(ms, () => reject(new Error(`no PUBACK for delta ${deltaId} within ${ms} ms`)));
    });
    p.catch(() => undefined); // settles later or never; the re-send covers it
    return Promise.race([p, timeout]).finally(cancel);
  }

  private onAck(msg: TransportMessage): void {
    const { edb, metrics, logger, scheduler } = this.deps;
    const r = decode(DeltaAckMsg, msg.payload);
    if (!r.ok) return logger.warn({ code: r.error.code, err: r.error.message }, 'invalid delta ack dropped');
    const ack = r.value;
    if (this.stopped || !edb.db.open) return;
    if (ack.status === 'rejected' && TRANSIENT.test(ack.reason ?? '')) {
      const a = this.attempts.get(ack.deltaId);
      if (a) a.nextAt = scheduler.now() + this.backoff(a.count);
      logger.info({ deltaId: ack.deltaId, reason: ack.reason }, 'delta refused for now; will re-send');
      return;
    }
    const removed = edb.transaction(() => {
      const was = edb.outbox.ack(ack.deltaId);
      if (was && ack.status === 'rejected') {
        edb.config.set('sync.lastRejection', { deltaId: ack.deltaId, reason: ack.reason ?? 'rejected', ts: ack.ts });
      }
      return was;
    });
    this.attempts.delete(ack.deltaId);
    if (!removed) return; // a second verdict for a delta already settled
    if (ack.status === 'rejected') {
      metrics.deltasRejected.inc({ reason: reasonCode(ack.reason) });
      logger.warn({ deltaId: ack.deltaId, reason: ack.reason }, 'delta rejected by central');
    } else {
      metrics.deltasAcked.inc({ status: ack.status });
      metrics.lastSync.set(scheduler.now() / 1000);
    }
    this.deps.onVerdict?.(ack);
  }

  private backoff(attempt: number): number {
    const base = this.deps.resendBaseMs ?? 2_000;
    return Math.min(base * 2 ** Math.max(0, attempt - 1), this.deps.resendMaxMs ?? 60_000);
  }

  /** One timer for the earliest pending re-send. */
  private arm(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
    if (this.stopped || !this.deps.edb.db.open) return;
    const pending = new Set(this.deps.edb.outbox.list(1000).map((e) => e.deltaId));
    let next = Infinity;
    for (const [id, a] of this.attempts) {
      if (!pending.has(id)) this.attempts.delete(id);
      else next = Math.min(next, a.nextAt);
    }
    if (next === Infinity) return;
    this.cancelTimer = this.deps.scheduler.setTimer(Math.max(0, next - this.deps.scheduler.now()), () => void this.kick());
  }
}

/** Metric label of a rejection: the reason's leading code word, bounded. */
export function reasonCode(reason: string | undefined): string {
  const word = (reason ?? 'rejected').split(/[:\s]/)[0].toLowerCase().replace(/[^a-z0-9_]/g, '');
  return word.slice(0, 32) || 'rejected';
}
