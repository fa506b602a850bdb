import { generateSynthetic, SeededRandom, type SyntheticDataset } from '@edgerec/services/data';
import { createInMemoryEdge } from '../src/in-memory-edge.js';

export interface ExplorationBenchOptions {
  users?: number;
  items?: number;
  /** recommendation requests per arm */
  steps?: number;
  k?: number;
  /** exploration rate of the exploring arm */
  epsilon?: number;
  /** logit of "no click": higher = fewer clicks */
  noClickLogit?: number;
  seed?: number;
}

export interface ArmResult {
  epsilon: number;
  ctr: number;
  /** CTR per quarter of the run, to see learning over time */
  ctr_by_quarter: number[];
  explored_share: number;
}

export interface ExplorationBenchResult {
  steps: number;
  greedy: ArmResult;
  explore: ArmResult;
  ctr_ratio_explore_vs_greedy: number;
  seconds: number;
}

/**
 * Click-through with and without exploration, closed loop: a simulated user (the synthetic
 * generator's hidden tastes) sees the edge's top-k, clicks at most one item with
 * probability ∝ exp(true logit) against a "no click" option, and the click goes back into
 * the edge's ingest and online learner. Both arms start from the same cold edge.
 *
 * @example
 * const r = await runExplorationBench({ steps: 3000 }); r.ctr_ratio_explore_vs_greedy;
 */
export async function runExplorationBench(opts: ExplorationBenchOptions = {}): Promise<ExplorationBenchResult> {
  const t0 = performance.now();
  const seed = opts.seed ?? 7;
  const ds = generateSynthetic({ seed, numUsers: opts.users ?? 300, numItems: opts.items ?? 500 });
  const steps = opts.steps ?? 6000;
  const greedy = await runArm(ds, 0, steps, opts, seed);
  const explore = await runArm(ds, opts.epsilon ?? 0.1, steps, opts, seed);
  return {
    steps,
    greedy,
    explore,
    ctr_ratio_explore_vs_greedy: Math.round((explore.ctr / Math.max(1e-9, greedy.ctr)) * 1e4) / 1e4,
    seconds: Math.round(performance.now() - t0) / 1000,
  };
}

async function runArm(ds: SyntheticDataset, epsilon: number, steps: number, opts: ExplorationBenchOptions, seed: number): Promise<ArmResult> {
  const { core } = createInMemoryEdge({ numItems: ds.numItems, dim: 32, seed, rateLimit: { perSecond: 1e6, burst: 1e6 } });
  const rng = new SeededRandom(seed + 11);
  const k = opts.k ?? 10;
  const noClick = opts.noClickLogit ?? -3;
  const truth = ds.truth;
  const d = truth.dim;
  const temperature = 0.25;
  const quarters = [0, 0, 0, 0];
  let clicks = 0;
  let shown = 0;
  let explored = 0;
  try {
    for (let step = 0; step < steps; step++) {
      const u = rng.nextInt(ds.numUsers);
      const user = ds.userIds[u];
      const res = core.recommender.recommend({ user, k, explain: false, explore: epsilon });
      shown += res.items.length;
      explored += res.items.filter((x) => x.explore).length;
      // choice model: one of the shown items, or none
      const logits = res.items.map((x) => {
        const i = Number(x.item.slice(1));
        let s = 0;
        for (let j = 0; j < d; j++) s += truth.userVec[u * d + j] * truth.itemVec[i * d + j];
        return s / temperature + truth.itemPopularity[i];
      });
      const maxL = Math.max(noClick, ...logits);
      const weights = logits.map((l) => Math.exp(l - maxL));
      let total = Math.exp(noClick - maxL);
      for (const w of weights) total += w;
      let r = rng.nextFloat() * total;
      let clicked = -1;
      for (let j = 0; j < weights.length; j++) {
        r -= weights[j];
        if (r < 0) {
          clicked = j;
          break;
        }
      }
      if (clicked >= 0) {
        clicks++;
        quarters[Math.min(3, Math.floor((step / steps) * 4))]++;
        core.ingestor.ingest({ events: [{ eventId: `s${step}`, user, item: res.items[clicked].item, type: 'click' }] });
        // let the learner apply it before the next request (read-your-writes)
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  } finally {
    core.close();
  }
  const perQuarter = steps / 4;
  return {
    epsilon,
    ctr: Math.round((clicks / steps) * 1e4) / 1e4,
    ctr_by_quarter: quarters.map((c) => Math.round((c / perQuarter) * 1e4) / 1e4),
    explored_share: Math.round((explored / Math.max(1, shown)) * 1e4) / 1e4,
  };
}
