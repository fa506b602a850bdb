import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cloneWeights, type LearnExample } from '@edgerec/services/model';
import { type EdgeDatabase, type NewEvent, openEdgeDatabase } from '@edgerec/services/store';
import { afterEach, beforeEach, expect } from 'vitest';
import { loadOrCreateModel } from './model-bootstrap.js';
import { OnlineLearner, type OnlineLearnerOptions } from './online-learner.js';

/**
 * Learner test bench: a 40 × 8 model on a real SQLite file per node (fresh temp dir per
 * test), a frozen clock, and a count of learnOne calls per item. Import it from a test file
 * (it registers its own beforeEach/afterEach).
 */
let dir: string;
const open: EdgeDatabase[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgerec-learner-'));
});
afterEach(() => {
  for (const db of open.splice(0)) db.close();
  rmSync(dir, { recursive: true, force: true });
});

const frozenClock = () => 0;
export function node(file: string, opts: Partial<OnlineLearnerOptions> = {}) {
  const edb = openEdgeDatabase(join(dir, file));
  open.push(edb);
  const boot = loadOrCreateModel(edb, { numItems: 40, dim: 8, seed: 3, clock: frozenClock });
  const learner = new OnlineLearner(edb, boot.holder, boot.watermark, boot.overlayRows, {
    seed: 11, clock: frozenClock, checkpointEvents: 1e9, checkpointMs: 1e9, replayProb: 0, ...opts,
  });
  // Count learnOne calls per (user, item): every test event is a distinct pair.
  const calls = new Map<string, number>();
  const model = boot.holder.model;
  const learnOne = model.learnOne.bind(model);
  model.learnOne = (ex: LearnExample, rng: () => number) => {
    const key = `${ex.item}`;
    calls.set(key, (calls.get(key) ?? 0) + 1);
    return learnOne(ex, rng);
  };
  return { edb, learner, holder: boot.holder, calls };
}

export const events = (from: number, to: number): NewEvent[] =>
  Array.from({ length: to - from }, (_, k) => {
    const i = from + k;
    return { eventId: `e${i}`, user: `u${i % 7}`, item: `i${i % 40}`, itemIdx: i % 40, type: 'click', weight: 0.5 + (i % 3), ts: i };
  });

export async function ingest(n: ReturnType<typeof node>, evs: NewEvent[]): Promise<void> {
  n.edb.events.insertBatch(evs, 0);
  n.learner.notify();
  expect(await n.learner.waitForApplied(n.edb.events.maxSeq(), 5000)).toBe(true);
}

export function snapshot(n: ReturnType<typeof node>) {
  const users = Array.from({ length: 7 }, (_, u) => n.learner.userState(`u${u}`));
  return { weights: cloneWeights(n.holder.model.weights), users: structuredClone(users) };
}


/** Stores `evs` and hands them to the learner the way the ingest path does (`offer`). */
export async function ingestHandedOver(n: ReturnType<typeof node>, evs: NewEvent[]): Promise<void> {
  const r = n.edb.events.insertBatch(evs, 0);
  const stored = evs.flatMap((e, i) => {
    const o = r.outcomes[i];
    return o.status === 'accepted' ? [{ ...e, seq: o.seq, committedAt: 0 }] : [];
  });
  n.learner.offer(stored);
  expect(await n.learner.waitForApplied(n.edb.events.maxSeq(), 5000)).toBe(true);
}

/** One event-loop turn: a sliced checkpoint writes one slice per turn. */
export const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Segments written but not committed (an interrupted sliced checkpoint). */
export const uncommittedSegments = (edb: EdgeDatabase): number =>
  edb.db.prepare('SELECT COUNT(*) FROM model_segments WHERE gen > (SELECT committed_gen FROM model_state)').pluck().get() as number;
