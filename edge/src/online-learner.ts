import { SeededRandom } from '@edgerec/services/data';
import { pushRecent, type UserState } from '@edgerec/services/model';
import type { AppliedWatermark, EdgeDatabase, StoredEvent } from '@edgerec/services/store';
import type { Logger } from 'pino';
import type { ModelHolder } from './model-holder.js';
import { DirtyRows } from './dirty-rows.js';
import { HandoverQueue } from './handover-queue.js';
import { ReplayReservoir } from './replay-reservoir.js';
import { LearnerCheckpoints } from './learner-checkpoints.js';
import { SeqWaiters } from './seq-waiters.js';
import { UserStateCache } from './user-state-cache.js';

/** Hooks for metrics; all optional. */
export interface LearnerObserver {
  /** one event learned, `lagMs` after its commit */
  applied?(lagMs: number): void;
  checkpointed?(info: { ms: number; rows: number; users: number }): void;
}

export interface OnlineLearnerOptions {
  /** seeds the per-event random streams (negatives, replay, new users) */
  seed: number;
  clock?: () => number;
  /** events read from the log per query (default 256) */
  batchSize?: number;
  /**
   * longest stretch of learning, or of checkpoint writing, before yielding to the event loop,
   * ms (default 2: a request waits at most about that long)
   */
  sliceMs?: number;
  /**
   * checkpoint after this many applied events … (default 100 000: bounds the replay after a
   * crash to a few seconds of learning). A checkpoint rewrites every row touched since the
   * last one, so at high event rates rarer checkpoints write far less: going from 1 s to 5 s
   * took `bench ingest` from 5.5–10k to 14.7–15.9k events/s on the loaded 2-core machine.
   */
  checkpointEvents?: number;
  /** … or this long after the first un-checkpointed one, ms (default 5000) */
  checkpointMs?: number;
  /**
   * item rows per stored segment (default 512); a periodic checkpoint writes segments for up
   * to `sliceMs` per event-loop turn, between requests (see sliced-checkpoint.ts)
   */
  checkpointSliceRows?: number;
  /** user states kept in memory (default 10 000) */
  maxCachedUsers?: number;
  /** replay reservoir size (default 1000; 0 = no replay) */
  replayCapacity?: number;
  /** chance per new event of also replaying one past event (default 0.05) */
  replayProb?: number;
  observer?: LearnerObserver;
  logger?: Logger;
  /**
   * Events kept out of training for federated evaluation (see sync/holdout-evaluator.ts): the
   * learner skips them but still moves its watermark past them. Must be deterministic.
   */
  holdout?: (ev: StoredEvent) => boolean;
}

/** Counters for `/v1/learner` and tests. */
export interface LearnerStats extends AppliedWatermark {
  /** watermark of the last checkpoint (what a crash would resume from) */
  checkpointSeq: number;
  /** watermark this process started from */
  startedFromSeq: number;
  replayed: number;
  cachedUsers: number;
  dirtyUsers: number;
  replaySize: number;
}

/** Independent random stream per event seq: replaying an event after a crash redraws the same numbers. */
export const eventRng = (seed: number, seq: number): SeededRandom => new SeededRandom(eventSeed(seed, seq));

/** The seed of event `seq`'s stream (what eventRng seeds with). */
const eventSeed = (seed: number, seq: number): number => (seed ^ Math.imul(seq >>> 0, 0x9e3779b1) ^ Math.floor(seq / 4294967296)) >>> 0;

/**
 * "Already seen by this user" for the negative sampler: a scan of the ≤ historyLen recent
 * items. One instance, re-pointed per event: a Set (or a closure) per event cost more than the scan.
 */
class RecentItems {
  recent: readonly number[] = [];

  has(item: number): boolean {
    return this.recent.includes(item);
  }
}

/**
 * Learns committed events off the request path. Ingest commits events and calls `notify()`;
 * the learner reads the log after its watermark in small slices (yielding to HTTP between
 * them), runs `model.learnOne` per event with the user's cached state, occasionally replays
 * a past event, and checkpoints — model rows, user states, reservoir and watermark in one
 * transaction — every `checkpointEvents` events or `checkpointMs`. After a crash it resumes
 * after the checkpointed watermark and, because every event's randomness comes from its seq,
 * reproduces exactly the state it had lost: each event takes effect exactly once.
 *
 * @example
 * const learner = new OnlineLearner(edgeDb, holder, watermark, overlayRows, { seed: 7 });
 * learner.start();
 * edgeDb.events.insertBatch(events, Date.now()); learner.notify();
 * await learner.waitForApplied(edgeDb.events.maxSeq(), 1000); // read-your-writes
 */
export class OnlineLearner {
  private readonly cache: UserStateCache;
  private readonly reservoir: ReplayReservoir;
  private readonly opts: Required<Omit<OnlineLearnerOptions, 'observer' | 'logger' | 'holdout'>>;
  private readonly holdout: ((ev: StoredEvent) => boolean) | undefined;
  private readonly waiters = new SeqWaiters(() => this.appliedSeq);
  private appliedSeq: number;
  private appliedCount: number;
  private appliedSeqSum: number;
  private checkpointSeq: number;
  private readonly startedFromSeq: number;
  private sinceCheckpoint = 0;
  private firstUncheckpointedAt = 0;
  private replayed = 0;
  private running = false;
  private scheduled = false;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly dirtyRows: DirtyRows;
  /** committed events handed over by ingest (see `offer`), learned without reading them back */
  private readonly queue = new HandoverQueue();
  private readonly checkpoints: LearnerCheckpoints;
  /** the per-event random stream (reseeded per event) and seen-items view, reused to spare allocations */
  private readonly rng = new SeededRandom(0);
  private readonly seen = new RecentItems();
  private readonly observer: LearnerObserver | undefined;
  private readonly logger: Logger | undefined;

  constructor(
    private readonly edb: EdgeDatabase,
    private readonly holder: ModelHolder,
    watermark: AppliedWatermark,
    overlayRows: ArrayLike<number>,
    options: OnlineLearnerOptions,
  ) {
    this.opts = {
      seed: options.seed, clock: options.clock ?? Date.now, batchSize: options.batchSize ?? 256,
      sliceMs: options.sliceMs ?? 2, checkpointEvents: options.checkpointEvents ?? 100_000,
      checkpointMs: options.checkpointMs ?? 5000, checkpointSliceRows: options.checkpointSliceRows ?? 512, maxCachedUsers: options.maxCachedUsers ?? 10_000,
      replayCapacity: options.replayCapacity ?? 1000, replayProb: options.replayProb ?? 0.05,
    };
    this.observer = options.observer;
    this.logger = options.logger;
    this.holdout = options.holdout;
    this.cache = new UserStateCache(this.opts.maxCachedUsers);
    this.reservoir = new ReplayReservoir(this.opts.replayCapacity);
    this.reservoir.restore(edb.replay.all(), edb.config.get<number>('learner.replaySeen') ?? 0);
    ({ appliedSeq: this.appliedSeq, appliedCount: this.appliedCount, appliedSeqSum: this.appliedSeqSum } = watermark);
    this.checkpointSeq = this.startedFromSeq = this.appliedSeq;
    this.dirtyRows = new DirtyRows(holder.model.tracker.counts, overlayRows);
    this.checkpoints = new LearnerCheckpoints({
      edb, holder, dirtyRows: this.dirtyRows, cache: this.cache, reservoir: this.reservoir, clock: this.opts.clock,
      sliceMs: this.opts.sliceMs, sliceRows: this.opts.checkpointSliceRows, observer: this.observer, logger: this.logger,
      watermark: () => ({ appliedSeq: this.appliedSeq, appliedCount: this.appliedCount, appliedSeqSum: this.appliedSeqSum }),
      checkpointSeq: () => this.checkpointSeq,
      onCommitted: (seq) => {
        this.checkpointSeq = seq;
        this.sinceCheckpoint = 0;
      },
      onResume: (failed) => {
        if (failed) this.armTimer(this.opts.checkpointMs);
        this.notify();
      },
    });
    holder.onSwap(() => this.checkpoint());
  }

  /** Starts consuming the log (catching up on anything committed before). */
  start(): void {
    this.running = true;
    this.notify();
  }

  /**
   * Hands just-committed events (in seq order, as the ingest path stored them) to the learner,
   * which then learns them without reading the log back: that read and decode was a quarter of
   * the learner's time per event. The log stays the source of truth: the queue holds one
   * contiguous run of seqs, and whatever precedes the run and is not learned yet — after a
   * restart, a gap (events stored by another path), a backlog past `MAX_QUEUED` — is read
   * from the log first. A stopped learner ignores offers.
   */
  offer(events: readonly StoredEvent[]): void {
    if (!this.running) return;
    this.queue.push(events);
    this.notify();
  }

  /** Wakes the learner after new events were committed. Cheap; safe to call per request. */
  notify(): void {
    if (!this.running || this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.tick);
  }

  /**
   * Stops learning. With `checkpoint` (the default, graceful stop) the current state is
   * persisted first; `checkpoint: false` simulates a crash (tests).
   */
  stop({ checkpoint = true } = {}): void {
    if (checkpoint && this.running && this.edb.db.open) this.checkpoint();
    this.running = false;
    this.checkpoints.cancel();
    this.queue.clear();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.waiters.releaseAll();
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Highest seq whose event has been learned (in memory, maybe not checkpointed yet). */
  get applied(): number {
    return this.appliedSeq;
  }

  /** Resolves true once every event up to `seq` is learned, false after `timeoutMs` or on stop. */
  waitForApplied(seq: number, timeoutMs: number): Promise<boolean> {
    if (this.appliedSeq >= seq) return Promise.resolve(true);
    if (!this.running) return Promise.resolve(false);
    const done = this.waiters.wait(seq, timeoutMs);
    this.notify();
    return done;
  }

  stats(): LearnerStats {
    return {
      appliedSeq: this.appliedSeq, appliedCount: this.appliedCount, appliedSeqSum: this.appliedSeqSum,
      checkpointSeq: this.checkpointSeq, startedFromSeq: this.startedFromSeq, replayed: this.replayed,
      cachedUsers: this.cache.size, dirtyUsers: this.cache.dirtyCount, replaySize: this.reservoir.size,
    };
  }

  /**
   * The user's current private state for serving: the learner's cached copy, else the
   * stored one; undefined for a user the learner has never seen. Do not mutate it.
   */
  userState(user: string): UserState | undefined {
    return this.cache.peek(user) ?? this.edb.users.get(user);
  }

  /**
   * Forgets an erased user's in-memory state (cached vector, reservoir slots). The caller
   * deletes the stored rows in its own transaction first; the shared rows keep what they
   * learned, which carries no per-user data.
   */
  forgetUser(user: string): void {
    this.cache.delete(user);
    this.reservoir.removeUser(user);
    this.queue.removeUser(user);
  }

  /**
   * Persists everything learned so far in one transaction (what a sync, a model swap and a
   * stop need); supersedes a periodic checkpoint still being written in slices.
   */
  checkpoint(): void {
    this.checkpoints.full();
  }

  /**
   * Starts a periodic checkpoint now, written in slices between event-loop turns. Resolves
   * true once committed (or when there was nothing to write), false when superseded or failed.
   */
  checkpointInSlices(): Promise<boolean> {
    return this.checkpoints.sliced();
  }

  private readonly tick = (): void => {
    this.scheduled = false;
    if (!this.running || this.checkpoints.writing) return; // a sliced checkpoint is being written: it wakes us
    const start = performance.now();
    let more = false;
    try {
      const logFirst = this.queue.from === 0 || this.appliedSeq < this.queue.from - 1;
      more = logFirst ? this.learnFromLog(start) : this.learnQueued(start);
      this.maybeCheckpoint();
    } catch (e) {
      if (!this.edb.db.open) return;
      this.logger?.error({ err: e }, 'learner step failed; retrying');
      this.queue.clear();
      this.armTimer(1000);
      return;
    } finally {
      this.waiters.release();
    }
    if (more) this.notify();
    else if (this.sinceCheckpoint > 0) this.armTimer(this.opts.checkpointMs);
  };

  /** Learns handed-over events for up to one slice; true when some are left. */
  private learnQueued(start: number): boolean {
    const { sliceMs } = this.opts;
    let n = 0;
    for (let ev = this.queue.take(); ev; ev = this.queue.take()) {
      if (ev.seq > this.appliedSeq) this.applyAndMaybeEvict(ev);
      if ((++n & 15) === 0 && this.queue.size > 0 && performance.now() - start > sliceMs) return true;
    }
    // The run is contiguous: everything up to its end is learned or was erased before it
    // could be. Whatever is stored after it and was not handed over is read from the log.
    this.appliedSeq = Math.max(this.appliedSeq, this.queue.upTo);
    this.queue.clear();
    // Nothing stored past the run (the usual case): skip the log query, which costs ~0.1 ms
    // per tick under load against a few µs for the sequence lookup.
    if (this.edb.events.maxSeq() <= this.appliedSeq) return false;
    return this.learnFromLog(start);
  }

  /**
   * Reads the log after the watermark for up to one slice, up to the queued run if there is
   * one (then the queue takes over); true when there is more to do.
   */
  private learnFromLog(start: number): boolean {
    const { batchSize, sliceMs } = this.opts;
    const until = this.queue.from === 0 ? Infinity : this.queue.from;
    for (;;) {
      const batch = this.edb.events.pendingAfter(this.appliedSeq, batchSize);
      for (let i = 0; i < batch.length; i++) {
        if (batch[i].seq >= until) return this.reachedQueue();
        this.applyAndMaybeEvict(batch[i]);
        if ((i & 15) === 15 && performance.now() - start > sliceMs) return true;
      }
      if (batch.length < batchSize) {
        if (until !== Infinity) return this.reachedQueue();
        // The log is drained: skip over seqs whose events were erased, so waiters on them resolve.
        this.appliedSeq = Math.max(this.appliedSeq, this.edb.events.maxSeq());
        return false;
      }
      if (performance.now() - start > sliceMs) return true;
    }
  }

  /** Every logged event before the queued run is learned (or erased): the queue takes over. */
  private reachedQueue(): boolean {
    this.appliedSeq = Math.max(this.appliedSeq, this.queue.from - 1);
    return true;
  }

  private applyAndMaybeEvict(ev: StoredEvent): void {
    this.apply(ev);
    if (this.cache.size > this.cache.capacity && !this.cache.evictClean()) {
      this.checkpoint();
      this.cache.evictClean();
    }
  }



  private apply(ev: StoredEvent): void {
    const { model } = this.holder;
    if (ev.itemIdx < model.numItems && !this.holdout?.(ev)) {
      const next = this.rng.reseed(eventSeed(this.opts.seed, ev.seq)).nextFloat; // = eventRng(seed, seq), reused
      let state = this.cache.get(ev.user);
      if (!state) {
        state = this.edb.users.get(ev.user) ?? model.newUser(next);
        this.cache.set(ev.user, state);
      }
      this.seen.recent = state.recent;
      model.learnOne({ user: state, item: ev.itemIdx, weight: ev.weight, seen: this.seen }, next);
      if (this.opts.replayProb > 0 && next() < this.opts.replayProb) this.replayOne(next);
      this.reservoir.offer({ user: ev.user, itemIdx: ev.itemIdx, weight: ev.weight }, next);
      pushRecent(state, ev.itemIdx, model.config.historyLen);
      this.cache.markDirty(ev.user);
    }
    if (this.sinceCheckpoint === 0) this.firstUncheckpointedAt = this.opts.clock();
    this.appliedSeq = ev.seq;
    this.appliedCount++;
    this.appliedSeqSum += ev.seq;
    this.sinceCheckpoint++;
    this.observer?.applied?.(this.opts.clock() - ev.committedAt);
  }

  /** Re-learns a remembered event on a copy of its user's state: shared rows only. */
  private replayOne(rng: () => number): void {
    const s = this.reservoir.sample(rng);
    if (!s || s.itemIdx >= this.holder.numItems) return;
    const owner = this.cache.peek(s.user) ?? this.edb.users.get(s.user);
    if (!owner) return;
    const user: UserState = { vec: owner.vec.slice(), accum: owner.accum, recent: owner.recent.slice() };
    this.holder.model.learnOne({ user, item: s.itemIdx, weight: s.weight }, rng);
    this.replayed++;
  }

  private maybeCheckpoint(): void {
    if (this.sinceCheckpoint === 0) return;
    const due = this.opts.clock() - this.firstUncheckpointedAt >= this.opts.checkpointMs;
    if (this.sinceCheckpoint < this.opts.checkpointEvents && !due) return;
    if (this.holder.pendingInstall) this.checkpoints.full();
    else void this.checkpoints.sliced();
  }

  private armTimer(ms: number): void {
    if (this.idleTimer || !this.running) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (!this.running || !this.edb.db.open) return;
      try {
        this.maybeCheckpoint();
      } catch (e) {
        this.logger?.error({ err: e }, 'checkpoint failed');
      }
      this.notify();
      if (this.sinceCheckpoint > 0) this.armTimer(this.opts.checkpointMs);
    }, ms);
    this.idleTimer.unref();
  }
}
