import type { UserState } from '@edgerec/services/model';
import type { EdgeDatabase } from '@edgerec/services/store';
import type { Registry } from 'prom-client';
import type { ModelHolder } from './model-holder.js';

/** What the sync client reports for `/healthz`. */
export interface SyncStatus {
  connected: boolean;
  detail?: string;
}

/** Outcome of an explicit sync (`POST /admin/sync`, central's `sync-now`). */
export interface SyncNowResult {
  /** the delta written to the outbox by this call, null when nothing was extracted */
  deltaId: string | null;
  /** why no delta was extracted */
  reason?: string;
  /** encoded bytes of the delta and what the same rows weigh as float32 */
  bytes?: number;
  denseBytes?: number;
  rows?: number;
  samples?: number;
  /** deltas still waiting for central's ack */
  outbox: number;
  /**
   * true when the publish pass finished while connected; false when the broker is away or the
   * pass outlasted the wait (the delta stays in the outbox and goes out on reconnect)
   */
  published?: boolean;
  modelVersion: number;
  connected: boolean;
}

/**
 * The seam to central: it takes deltas from the learner's model into the outbox, publishes
 * them, deletes them on ack, and installs new global models with `ModelHolder.swap`. The edge
 * starts, stops and asks it for status; with the no-op client an edge serves and learns on its
 * own (DESIGN §5: an edge without its broker keeps working). The MQTT implementation is
 * `EdgeSyncClient` (sync/edge-sync-client.ts).
 *
 * @example
 * const sync: SyncClient = noopSyncClient;
 * await sync.start({ holder, checkpoint: () => learner.checkpoint(), edb });
 */
export interface SyncClient {
  start(ctx: SyncContext): Promise<void>;
  stop(): Promise<void>;
  status(): SyncStatus;
  /** Extracts a delta now (if there is learning to send) and publishes the outbox. */
  syncNow?(trigger?: 'admin' | 'sync-now'): Promise<SyncNowResult>;
}

/** What a sync client gets to work with. */
export interface SyncContext {
  holder: ModelHolder;
  /** call before taking a delta: persists the learner state the delta is cut from */
  checkpoint: () => void;
  /** the node's database: outbox, residual, sync reference and node config (needed by a real client) */
  edb?: EdgeDatabase;
  /** highest event seq the learner has applied: the end of a delta's event window */
  appliedSeq?: () => number;
  /** counters for the node status */
  stats?: () => { eventsIngested: number; learnerLagMs: number; quality?: Record<string, number> };
  /** the private state the learner keeps for a user (federated evaluation) */
  userState?: (user: string) => UserState | undefined;
  /** registry of the edge app's `/metrics`, where the sync metrics are added */
  registry?: Registry;
  /** where the edge's HTTP API is reachable (published in the node status) */
  httpUrl?: string;
}

/** The default: no central; the outbox stays empty and the model only learns locally. */
export const noopSyncClient: SyncClient = {
  start: async () => {},
  stop: async () => {},
  status: () => ({ connected: false, detail: 'sync disabled' }),
};
