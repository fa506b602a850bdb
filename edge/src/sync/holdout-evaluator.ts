import { RankingMetrics, rankAmong, SeededRandom, userShard } from '@edgerec/services/data';
import type { UserState } from '@edgerec/services/model';
import type { EdgeDatabase } from '@edgerec/services/store';
import type { ModelHolder } from '../model-holder.js';

/** Result of a federated evaluation on an edge's own held-out events. */
export interface HoldoutResult {
  hr10: number;
  ndcg10: number;
  users: number;
}

/**
 * Which events an edge keeps out of training to evaluate models on (DESIGN §4, federated
 * evaluation). Policy: users whose id hashes (FNV-1a) to 0 mod `userEvery` form the
 * evaluation cohort (every 10th user by default); of their events, those whose eventId hashes
 * to 0 mod `eventEvery` (one in 5 by default) are held out — the learner skips them, so
 * neither the user's private vector, nor the shared rows, nor the recent-history window ever
 * saw them. That is ≈ 2 % of all events. Deterministic, so a replay after a crash skips the
 * same events.
 *
 * @example
 * const policy = new HoldoutPolicy();
 * startEdgeNode({ ..., learner: { holdout: policy.isHeldOut } });
 */
export class HoldoutPolicy {
  readonly userEvery: number;
  readonly eventEvery: number;

  constructor(opts: { userEvery?: number; eventEvery?: number } = {}) {
    this.userEvery = Math.max(1, Math.floor(opts.userEvery ?? 10));
    this.eventEvery = Math.max(1, Math.floor(opts.eventEvery ?? 5));
  }

  inCohort(user: string): boolean {
    return userShard(user, this.userEvery) === 0;
  }

  /** An arrow property, so it can be handed to the learner as is. */
  readonly isHeldOut = (ev: { user: string; eventId: string }): boolean =>
    this.inCohort(ev.user) && userShard(ev.eventId, this.eventEvery) === 0;
}

export interface HoldoutEvaluatorDeps {
  edb: EdgeDatabase;
  holder: ModelHolder;
  /** the learner's private state of a user (undefined: never learned) */
  userState: (user: string) => UserState | undefined;
  policy: HoldoutPolicy;
  /** sampled negatives per test case (default 100, as in leave-one-out) */
  negatives?: number;
  /** only the most recent events of the log are searched for test cases (default 50 000) */
  windowEvents?: number;
  /** seeds each user's negatives, so successive versions are ranked on the same candidates */
  seed?: number;
}

/**
 * Scores the installed model on the edge's held-out events: each cohort user's latest
 * held-out event in the recent log is ranked against `negatives` items the user never
 * interacted with, from the user's private state (its vector and learned history) — the
 * leave-one-out protocol of `edgerec eval`, per edge. Result metrics merge across edges
 * weighted by `users` (central's EvalIntake).
 *
 * @example
 * const ev = new HoldoutEvaluator({ edb, holder, userState: (u) => learner.userState(u), policy });
 * ev.evaluate(); // { hr10: 0.61, ndcg10: 0.35, users: 42 }
 */
export class HoldoutEvaluator {
  constructor(private readonly deps: HoldoutEvaluatorDeps) {}

  evaluate(): HoldoutResult {
    const { edb, holder, userState, policy } = this.deps;
    const model = holder.model;
    const n = model.numItems;
    const window = this.deps.windowEvents ?? 50_000;
    const latest = new Map<string, number>();
    for (const ev of edb.events.pendingAfter(Math.max(0, edb.events.maxSeq() - window), window)) {
      if (ev.itemIdx < n && policy.isHeldOut(ev)) latest.set(ev.user, ev.itemIdx);
    }
    const metrics = new RankingMetrics(10);
    const numNeg = this.deps.negatives ?? 100;
    for (const [user, item] of latest) {
      const state = userState(user);
      if (!state) continue;
      const seen = new Set(edb.events.itemsOfUser(user));
      const cand = Uint32Array.from([item, ...this.negativesFor(user, seen, n, numNeg)]);
      const out = new Float32Array(cand.length);
      model.scoreItems(state, cand, out, state.recent);
      metrics.update(rankAmong(out, 0));
    }
    const r = metrics.get();
    return { hr10: r.hr, ndcg10: r.ndcg, users: r.count };
  }

  private negativesFor(user: string, seen: Set<number>, n: number, want: number): number[] {
    const free = n - seen.size;
    if (free <= want) return Array.from({ length: n }, (_, i) => i).filter((i) => !seen.has(i));
    const rng = new SeededRandom((userShard(user, 0x7fffffff) ^ (this.deps.seed ?? 7)) >>> 0);
    const picked = new Set<number>();
    while (picked.size < want) {
      const i = rng.nextInt(n);
      if (!seen.has(i)) picked.add(i);
    }
    return [...picked];
  }
}
