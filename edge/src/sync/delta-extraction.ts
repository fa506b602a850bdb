import type { ResidualState } from '@edgerec/services/compression';
import type { EdgeDatabase, SyncReference } from '@edgerec/services/store';
import type { ModelHolder } from '../model-holder.js';
import { cutDelta, type CutSpec, type DeltaCut } from './delta-cut.js';
import type { OutboxMeta } from './delta-uplink.js';
import type { PersistedRoundState } from './round-state.js';
import { mergeReference } from './unsynced-delta.js';

/** In-memory mirror of the sync state kept in SQLite. */
export interface SyncMemory {
  reference: SyncReference;
  residual: ResidualState;
}

export interface ExtractionInput {
  edb: EdgeDatabase;
  holder: ModelHolder;
  memory: SyncMemory;
  spec: CutSpec;
  deltaId: string;
  now: number;
  roundId: number | null;
  /** the learner's applied event seq: the end of the delta's window */
  appliedSeq: number;
  rounds: PersistedRoundState;
  /** persists the learner state the delta was cut from (inside the same transaction) */
  checkpoint: () => void;
}

export interface Extraction {
  cut: DeltaCut;
  meta: OutboxMeta;
  rounds: PersistedRoundState;
}

/** Config key of the persisted round state. */
export const ROUND_STATE_KEY = 'sync.rounds';

/**
 * Takes one uplink delta (DESIGN §3) in ONE SQLite transaction: the outbox entry (deltaId,
 * base version, event window, samples), the new error-feedback residual, the sync reference
 * of the extracted rows, the round bookkeeping, the reset of the row tracker and the learner
 * checkpoint. A crash before COMMIT leaves the old state (the learning is extracted again);
 * after COMMIT the delta is durable and will be re-sent until acked — never lost, never
 * extracted twice. Returns null when there is nothing to send.
 *
 * @example
 * const x = extractToOutbox({ edb, holder, memory, spec, deltaId: randomUUID(), now, roundId: 4, appliedSeq, rounds, checkpoint });
 */
export function extractToOutbox(x: ExtractionInput): Extraction | null {
  const { edb, holder, memory } = x;
  const model = holder.model;
  const tracker = model.tracker;
  const cut = cutDelta(model.weights, holder.base, memory.reference, tracker, memory.residual, x.spec);
  if (!cut) return null;
  const from = Math.min(x.rounds.lastCutSeq + 1, x.appliedSeq);
  const meta: OutboxMeta = {
    codec: x.spec.codec, roundId: x.roundId, window: { fromEventSeq: Math.max(0, from), toEventSeq: Math.max(0, x.appliedSeq) },
    samples: cut.delta.samples, rows: cut.sent.rows.length, denseBytes: cut.denseBytes,
  };
  const rounds: PersistedRoundState = {
    ...x.rounds, lastCutSeq: Math.max(x.rounds.lastCutSeq, x.appliedSeq), answeredRound: x.roundId ?? x.rounds.answeredRound,
  };
  const saved = { counts: tracker.counts.slice(), adapterCount: tracker.adapterCount, samples: tracker.samples };
  try {
    edb.transaction(() => {
      edb.outbox.add({
        deltaId: x.deltaId, createdAt: x.now, baseVersion: holder.version, bytes: cut.bytes,
        meta: meta as unknown as Record<string, unknown>,
      });
      edb.outbox.saveResidual(cut.residual);
      edb.syncRef.put(cut.reference.rows, cut.reference.adapter);
      edb.config.set(ROUND_STATE_KEY, rounds);
      tracker.reset();
      x.checkpoint();
    });
  } catch (e) {
    // Nothing was committed: give the tracker back what it had, so the learning is extracted again.
    tracker.counts.set(saved.counts.subarray(0, tracker.counts.length));
    tracker.adapterCount = saved.adapterCount;
    tracker.samples = saved.samples;
    throw e;
  }
  mergeReference(memory.reference, cut.reference);
  memory.residual = cut.residual;
  return { cut, meta, rounds };
}
