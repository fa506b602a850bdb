import type { ModelHolder } from './model-holder.js';

/** What the sync client reports for `/healthz`. */
export interface SyncStatus {
  connected: boolean;
  detail?: string;
}

/**
 * The seam to central (MQTT, another task): it takes deltas from the learner's model into
 * the outbox, publishes them, deletes them on ack, and installs new global models with
 * `ModelHolder.swap`. The edge only starts, stops and asks it for status; with the no-op
 * client an edge serves and learns on its own (DESIGN §5: an edge without its broker keeps
 * working).
 *
 * @example
 * const sync: SyncClient = noopSyncClient;
 * await sync.start({ holder, outbox: edgeDb.outbox });
 */
export interface SyncClient {
  start(ctx: SyncContext): Promise<void>;
  stop(): Promise<void>;
  status(): SyncStatus;
}

/** What a sync client gets to work with. */
export interface SyncContext {
  holder: ModelHolder;
  /** call before taking a delta: persists the learner state the delta is cut from */
  checkpoint: () => void;
}

/** The default: no central; the outbox stays empty and the model only learns locally. */
export const noopSyncClient: SyncClient = {
  start: async () => {},
  stop: async () => {},
  status: () => ({ connected: false, detail: 'sync disabled' }),
};
