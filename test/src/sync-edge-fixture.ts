import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CentralHarness } from '@edgerec/central';
import { createEdgeCore, type EdgeCore } from '@edgerec/edge';
import { EdgeSyncClient, HoldoutPolicy, ManifestTrust, ManualScheduler, offlineWill, type EdgeSyncOptions } from '@edgerec/edge/sync/index';
import { MemoryTransport, type PublishOptions, type Transport, type TransportMessage } from '@edgerec/services/bus';
import { openEdgeDatabase } from '@edgerec/services/store';

/**
 * A real edge core (SQLite file, learner) with a real EdgeSyncClient on the harness's
 * MemoryBroker, shaped like central's HARNESS_MODEL (40 items, dim 8, rank 2). `restart()`
 * closes everything and opens the same file again, as a process restart would.
 */
export class SyncEdge {
  readonly scheduler = new ManualScheduler();
  core!: EdgeCore;
  sync!: EdgeSyncClient;
  transport!: MemoryTransport;
  private events = 0;
  /** events learned (held-out ones excluded) */
  trained = 0;

  private constructor(
    readonly h: CentralHarness,
    readonly nodeId: string,
    readonly dbPath: string,
    private readonly extra: Partial<EdgeSyncOptions>,
    readonly holdout: HoldoutPolicy,
    private readonly wrap: (t: Transport) => Transport,
  ) {}

  static async start(
    h: CentralHarness, nodeId: string, extra: Partial<EdgeSyncOptions> = {}, wrap: (t: Transport) => Transport = (t) => t,
  ): Promise<SyncEdge> {
    const dir = mkdtempSync(join(tmpdir(), `sync-${nodeId}-`));
    const e = new SyncEdge(h, nodeId, join(dir, 'edge.db'), extra, new HoldoutPolicy({ userEvery: 1, eventEvery: 4 }), wrap);
    await e.open();
    return e;
  }

  get edb() {
    return this.core.edb;
  }

  get holder() {
    return this.core.holder;
  }

  private async open(): Promise<void> {
    this.core = createEdgeCore({
      edb: openEdgeDatabase(this.dbPath, { durability: 'process' }), nodeId: this.nodeId, region: 'r1', seed: 3,
      numItems: 40, dim: 8, modelConfig: { adapterRank: 2 },
      rateLimit: { perSecond: 1e6, burst: 1e6 }, learner: { holdout: this.holdout.isHeldOut, replayProb: 0 },
    });
    this.transport = new MemoryTransport(this.h.broker, { clientId: this.nodeId, persistent: true, will: offlineWill(this.nodeId, 'r1') });
    const signer = this.h.central.signer;
    this.sync = new EdgeSyncClient({
      nodeId: this.nodeId, region: 'r1', transport: this.wrap(this.transport), scheduler: this.scheduler,
      trust: new ManifestTrust(new Map([[signer.keyId, signer.publicKey]])), holdout: this.holdout, ...this.extra,
    });
    const { core } = this;
    await this.sync.start({
      holder: core.holder, checkpoint: () => core.learner.checkpoint(), edb: core.edb, registry: core.metrics.registry,
      appliedSeq: () => core.learner.applied, userState: (u) => core.learner.userState(u),
    });
  }

  /** Ingests `n` events of users u0…u{users-1} over items i0…i39 and waits until they are learned. */
  async learn(n: number, users = 6): Promise<void> {
    const events = Array.from({ length: n }, (_, j) => {
      const k = this.events++;
      return { eventId: `${this.nodeId}-e${k}`, user: `u${k % users}`, item: `i${(k * 7 + (k % users) * 3) % 40}`, type: 'click' as const };
    });
    this.trained += events.filter((e) => !this.holdout.isHeldOut(e)).length;
    const out = this.core.ingestor.ingest({ events });
    if (out.status !== 202) throw new Error(`ingest answered ${out.status}`);
    this.core.learner.notify();
    const ok = await this.core.learner.waitForApplied(this.edb.events.maxSeq(), 10_000);
    if (!ok) throw new Error('learner did not catch up');
  }

  async restart(): Promise<void> {
    await this.close();
    await this.open();
  }

  async close(): Promise<void> {
    await this.sync.stop();
    this.core.close();
  }
}

/** Yields to pending I/O until `predicate` holds; rejects after `timeoutMs`. */
export async function until(predicate: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!(await predicate())) {
    if (Date.now() - start > timeoutMs) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** What an `intercept` wrapper may change; everything else passes through to the inner transport. */
export interface Interception {
  /** replaces publish (call `inner.publish` to pass it on) */
  publish?: (inner: Transport, topic: string, payload: Uint8Array, opts?: PublishOptions) => Promise<void>;
  /** true: the delivery on `m.topic` (to a subscription on `filter`) is lost */
  lose?: (m: TransportMessage, filter: string) => boolean;
}

/**
 * A transport that passes everything to `inner` except what `i` intercepts: the one way these
 * tests simulate a lossy or stalled link.
 */
export function intercept(inner: Transport, i: Interception): Transport {
  return {
    get connected() {
      return inner.connected;
    },
    connect: () => inner.connect(),
    publish: (topic, payload, opts) => (i.publish ? i.publish(inner, topic, payload, opts) : inner.publish(topic, payload, opts)),
    close: () => inner.close(),
    on: (event, listener) => inner.on(event, listener),
    subscribe: (filter, handler, opts) =>
      inner.subscribe(filter, i.lose ? (m) => (i.lose!(m, filter) ? undefined : handler(m)) : handler, opts),
  };
}

/**
 * Passes everything through except the first `n` deliveries on `…/acks`, which are lost as
 * if the broker had dropped them; `dropped` resolves once they were.
 */
export function dropFirstAcks(inner: Transport, n: number): Transport & { dropped: Promise<void> } {
  let left = n;
  let done!: () => void;
  const dropped = new Promise<void>((resolve) => (done = resolve));
  const lose = (_m: TransportMessage, filter: string): boolean => {
    if (!filter.endsWith('/acks') || left === 0) return false;
    if (--left === 0) done();
    return true;
  };
  return Object.assign(intercept(inner, { lose }), { dropped });
}

/**
 * Holds publishes to topics ending in `suffix` until `release()`, like a QoS 1 publish whose
 * broker went away before its PUBACK (mqtt.js keeps it and completes it after the reconnect).
 */
export function holdPublishes(inner: Transport, suffix: string): Transport & { holding: Promise<void>; release(): void } {
  let released = false;
  let wake!: () => void;
  const gate = new Promise<void>((resolve) => (wake = resolve));
  let held!: () => void;
  const holding = new Promise<void>((resolve) => (held = resolve));
  const wrapped = intercept(inner, {
    publish: async (t, topic, payload, opts) => {
      if (topic.endsWith(suffix) && !released) {
        held();
        await gate;
      }
      return t.publish(topic, payload, opts);
    },
  });
  const release = () => {
    released = true;
    wake();
  };
  return Object.assign(wrapped, { holding, release });
}

/** The first publish to a topic ending in `suffix` never completes (its PUBACK is lost); later ones pass. */
export function hangFirstPublish(inner: Transport, suffix: string): Transport & { hung: Promise<void> } {
  let first = true;
  let hung!: () => void;
  const hungP = new Promise<void>((resolve) => (hung = resolve));
  const wrapped = intercept(inner, {
    publish: (t, topic, payload, opts) => {
      if (first && topic.endsWith(suffix)) {
        first = false;
        hung();
        return new Promise<void>(() => undefined);
      }
      return t.publish(topic, payload, opts);
    },
  });
  return Object.assign(wrapped, { hung: hungP });
}
