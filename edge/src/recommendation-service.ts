import type { RecommendationItem, RecommendationsQuery, RecommendationsResponse } from '@edgerec/proto-schemas';
import type { EdgeDatabase } from '@edgerec/services/store';
import type { ModelHolder } from './model-holder.js';
import type { OnlineLearner } from './online-learner.js';
import type { PopularityIndex } from './popularity-index.js';
import type { AnnServing } from './ann/ann-serving.js';

export interface RecommendationServiceDeps {
  edb: EdgeDatabase;
  holder: ModelHolder;
  learner: OnlineLearner;
  popularity: PopularityIndex;
  /** uniform [0,1) source for exploration (seeded) */
  rng: () => number;
  /** high-resolution clock for `tookMs` */
  perfNow?: () => number;
  /** size of the popular-ish pool exploration draws from (default 200) */
  explorePool?: number;
  /** large catalogs: top-k through an HNSW index with exact re-rank once it is built (else the model's scan) */
  ann?: Pick<AnnServing, 'topK'>;
}

/**
 * Top-k for a user. A user the learner knows gets the model's top-k over the whole catalog
 * (seen items excluded, optional "because you interacted with X"): the scan, or for a large
 * catalog with `ann` the HNSW candidates re-ranked by the live weights; a user it does
 * not know yet gets the local popularity list with `coldStart: true`. With `explore = ε`
 * each slot is, with probability ε, given to a random unseen item from the popularity
 * pool instead (ε-greedy), flagged `explore: true`.
 *
 * @example
 * service.recommend({ user: 'u1', k: 10, explain: true, explore: 0.1 });
 */
export class RecommendationService {
  private readonly perfNow: () => number;

  constructor(private readonly deps: RecommendationServiceDeps) {
    this.perfNow = deps.perfNow ?? (() => performance.now());
  }

  recommend(q: RecommendationsQuery): RecommendationsResponse {
    const started = this.perfNow();
    const { edb, holder, learner, popularity } = this.deps;
    const { model, catalog } = holder;
    // Everything the user has an event for — learned or still queued — is excluded.
    const seen = edb.events.seenItems(q.user); // in memory, kept current by ingest (no log query per request)
    const state = learner.userState(q.user);
    const k = Math.min(q.k, Math.max(0, model.numItems - seen.size));
    let picks: { item: number; score: number }[];
    if (k === 0) {
      picks = [];
    } else if (state) {
      picks = this.deps.ann ? this.deps.ann.topK(state, k, seen, state.recent) : model.topK(state, k, seen, state.recent);
    } else {
      picks = popularity.top(k, seen).map((item) => ({ item, score: popularity.count(item) }));
    }
    const explored = new Set<number>();
    if (q.explore > 0) this.explore(picks, q.explore, seen, explored, (item) =>
      state ? model.scoreWithQuery(model.userQuery(state, state.recent), item) : popularity.count(item));
    const items: RecommendationItem[] = picks.map((p, i) => {
      const out: RecommendationItem = { item: catalog.idOf(p.item), score: p.score, rank: i + 1, explore: explored.has(p.item) };
      if (q.explain && state && state.recent.length > 0) {
        const because = model.explain(state, p.item, state.recent);
        // Only a history item that pushes the score up is a reason ("because you liked X").
        if (because && because.contribution > 0) out.because = { item: catalog.idOf(because.item), contribution: because.contribution };
      }
      return out;
    });
    return {
      user: q.user, modelVersion: holder.version, items, coldStart: !state,
      tookMs: Math.max(0, this.perfNow() - started),
    };
  }

  private explore(
    picks: { item: number; score: number }[], epsilon: number, seen: ReadonlySet<number>, explored: Set<number>,
    score: (item: number) => number,
  ): void {
    const { rng, popularity } = this.deps;
    const chosen = new Set(picks.map((p) => p.item));
    const pool = popularity.head().slice(0, this.deps.explorePool ?? 200);
    for (let slot = 0; slot < picks.length; slot++) {
      if (rng() >= epsilon) continue;
      // A few random draws from the pool; a slot whose draws all hit seen/chosen items keeps its pick.
      for (let attempt = 0; attempt < 8 && pool.length > 0; attempt++) {
        const item = pool[Math.floor(rng() * pool.length)];
        if (seen.has(item) || chosen.has(item)) continue;
        chosen.delete(picks[slot].item);
        chosen.add(item);
        explored.add(item);
        picks[slot] = { item, score: score(item) };
        break;
      }
    }
  }
}
