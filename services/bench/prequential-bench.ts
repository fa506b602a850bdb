import { generateSynthetic, SeededRandom, type Interaction, type SyntheticOptions } from '../src/data/index.js';
import {
  cloneWeights, defaultModelConfig, pushRecent, RecommenderModel, trainCentralized, type ModelConfig, type UserState,
} from '../src/model/index.js';

export interface PrequentialOptions {
  users?: number;
  items?: number;
  seed?: number;
  /** where in the stream tastes drift (share of events; synthetic tastes rotate to the next cluster) */
  driftAt?: number;
  /** extra options of the synthetic generator (e.g. temperature, driftStrength) */
  synthetic?: SyntheticOptions;
  /** accumulator decay of the online learners (1 = plain Adagrad) */
  accumDecay?: number;
  /** share of the stream used to pre-train before the test-then-train phase */
  pretrainFrac?: number;
  pretrainEpochs?: number;
  /** retrain-from-scratch baseline: every this many stream events (0 = off) */
  retrainEvery?: number;
  buckets?: number;
  negatives?: number;
  /** replay: after each event, replay this many random past events (reservoir) */
  replay?: number;
  /** FedProx-style pull toward the pre-trained model */
  proxMu?: number;
}

interface Learner {
  name: string;
  model: RecommenderModel;
  users: UserState[];
  learns: boolean;
  /** whether serving state (the user's recent-history window) follows the stream */
  tracksHistory: boolean;
  replay: number;
  hits: Float64Array;
  counts: Float64Array;
}

export interface PrequentialResult {
  events: number;
  drift_bucket: number;
  /** HR@10 (100 sampled negatives) per time bucket, test-then-train */
  series: Record<string, number[]>;
  hr10_after_drift: Record<string, number>;
  hr10_before_drift: Record<string, number>;
  /** online vs the frozen weights whose history window still follows the stream */
  online_vs_frozen_after_drift_rel: number;
  /** online vs a fully frozen model (weights and user state fixed after pre-training) */
  online_vs_frozen_static_after_drift_rel: number;
  /** HR@10 on held-out pre-drift interactions, measured at the end: higher = less forgetting */
  pre_drift_probe_hr10: Record<string, number>;
  seconds: number;
}

/**
 * Prequential (test-then-train) evaluation on a drifting synthetic stream: every event is
 * first ranked by each model against sampled negatives, then the learning models learn it.
 * Compares the online model with a frozen one, retrain-every-N, and the replay/proximal knobs.
 *
 * @example
 * const r = runPrequentialBench({ users: 300, items: 600 }); r.online_vs_frozen_after_drift_rel;
 */
export function runPrequentialBench(opts: PrequentialOptions = {}): PrequentialResult {
  const t0 = performance.now();
  const seed = opts.seed ?? 7;
  const buckets = opts.buckets ?? 20;
  const negatives = opts.negatives ?? 100;
  const shape = { ...opts.synthetic, seed, numUsers: opts.users ?? 400, numItems: opts.items ?? 800 };
  // timestamps do not depend on drift, so the drift time can be placed at a stream quantile
  const calm = generateSynthetic(shape).interactions;
  const at = calm[Math.floor(calm.length * (opts.driftAt ?? 0.6))].ts;
  const span = calm[calm.length - 1].ts - calm[0].ts || 1;
  const ds = generateSynthetic({ ...shape, startTs: calm[0].ts, durationSeconds: span, driftAt: (at - calm[0].ts) / span });
  const stream = ds.interactions;
  const pre = Math.floor(stream.length * (opts.pretrainFrac ?? 0.3));
  const rng = new SeededRandom(seed + 1);
  // every 10th pre-drift interaction is held out as the forgetting probe (never trained on)
  const driftTs = ds.truth.driftTs ?? Infinity;
  const probe: Interaction[] = [];
  const seqs: number[][] = Array.from({ length: ds.numUsers }, () => []);
  for (let n = 0; n < pre; n++) {
    if (stream[n].ts < driftTs && n % 10 === 9) probe.push(stream[n]);
    else seqs[stream[n].user].push(stream[n].item);
  }
  const config = defaultModelConfig();
  const base = trainCentralized({ numItems: ds.numItems, sequences: seqs }, config, { epochs: opts.pretrainEpochs ?? 10, rng: rng.nextFloat });
  const snapshot = base.model.getWeights();
  const fork = (name: string, learns: boolean, cfg: ModelConfig, replay = 0, tracksHistory = true): Learner => {
    const model = new RecommenderModel(cloneWeights(snapshot), cfg);
    if (cfg.proxMu > 0) model.anchor = cloneWeights(snapshot);
    const users = base.users.map((u) => ({ vec: u.vec.slice(), accum: u.accum, recent: u.recent.slice() }));
    return { name, model, users, learns, tracksHistory, replay, hits: new Float64Array(buckets), counts: new Float64Array(buckets) };
  };
  const online = defaultModelConfig({ accumDecay: opts.accumDecay ?? 1 });
  const learners = [
    fork('frozen_static', false, config, 0, false),
    fork('frozen', false, config),
    fork('online', true, online),
    fork('online_replay', true, online, opts.replay ?? 1),
    fork('online_proximal', true, defaultModelConfig({ ...online, proxMu: opts.proxMu ?? 0.05 })),
  ];
  const seen = seqs.map((s) => new Set(s));
  const past: Interaction[] = stream.slice(0, pre).filter((_, n) => !(stream[n].ts < driftTs && n % 10 === 9));
  const retrainEvery = opts.retrainEvery ?? Math.ceil((stream.length - pre) / 4);
  let retrained: Learner | null = retrainEvery > 0 ? fork('retrain_every_n', false, config) : null;
  const candidates = new Uint32Array(negatives + 1);
  const scores = new Float32Array(negatives + 1);
  let driftBucket = buckets;
  for (let n = pre; n < stream.length; n++) {
    const ev = stream[n];
    const bucket = Math.min(buckets - 1, Math.floor(((n - pre) / (stream.length - pre)) * buckets));
    if (ev.ts >= driftTs) driftBucket = Math.min(driftBucket, bucket);
    sampleCandidates(candidates, ev.item, seen[ev.user], ds.numItems, rng);
    for (const l of retrained ? [...learners, retrained] : learners) {
      l.model.scoreItems(l.users[ev.user], candidates, scores);
      l.hits[bucket] += rankOfFirst(scores) < 10 ? 1 : 0;
      l.counts[bucket]++;
    }
    for (const l of learners) {
      const user = l.users[ev.user];
      if (l.learns) {
        l.model.learnOne({ user, item: ev.item, seen: seen[ev.user] }, rng.nextFloat);
        for (let r = 0; r < l.replay && past.length > 0; r++) {
          const old = past[rng.nextInt(past.length)];
          l.model.learnOne({ user: l.users[old.user], item: old.item, seen: seen[old.user] }, rng.nextFloat);
        }
      }
      if (l.tracksHistory) pushRecent(user, ev.item, config.historyLen);
    }
    if (retrained) pushRecent(retrained.users[ev.user], ev.item, config.historyLen);
    seen[ev.user].add(ev.item);
    seqs[ev.user].push(ev.item);
    past.push(ev);
    if (retrained && retrainEvery > 0 && (n - pre + 1) % retrainEvery === 0) {
      const fresh = trainCentralized({ numItems: ds.numItems, sequences: seqs }, config, { epochs: opts.pretrainEpochs ?? 10, rng: rng.nextFloat });
      retrained = { ...retrained, model: fresh.model, users: fresh.users };
    }
  }
  const all = retrained ? [...learners, retrained] : learners;
  const mean = (l: Learner, from: number, to: number): number => {
    let h = 0;
    let c = 0;
    for (let b = from; b < to; b++) {
      h += l.hits[b];
      c += l.counts[b];
    }
    return c ? h / c : 0;
  };
  const after = Object.fromEntries(all.map((l) => [l.name, round4(mean(l, driftBucket, buckets))]));
  return {
    events: stream.length - pre,
    drift_bucket: driftBucket,
    series: Object.fromEntries(all.map((l) => [l.name, Array.from(l.hits, (h, b) => round4(l.counts[b] ? h / l.counts[b] : 0))])),
    hr10_after_drift: after,
    hr10_before_drift: Object.fromEntries(all.map((l) => [l.name, round4(mean(l, 0, driftBucket))])),
    online_vs_frozen_after_drift_rel: round4(after.online / Math.max(1e-9, after.frozen) - 1),
    online_vs_frozen_static_after_drift_rel: round4(after.online / Math.max(1e-9, after.frozen_static) - 1),
    pre_drift_probe_hr10: Object.fromEntries(all.map((l) => [l.name, round4(probeHr(l, probe, seen, ds.numItems, negatives, seed))])),
    seconds: round4((performance.now() - t0) / 1000),
  };
}

/** candidates[0] = positive, then distinct items the user has not seen. */
function sampleCandidates(out: Uint32Array, positive: number, seen: Set<number>, numItems: number, rng: SeededRandom): void {
  out[0] = positive;
  const picked = new Set<number>([positive]);
  for (let j = 1; j < out.length; j++) {
    let c = rng.nextInt(numItems);
    for (let tries = 0; (picked.has(c) || seen.has(c)) && tries < 50; tries++) c = rng.nextInt(numItems);
    picked.add(c);
    out[j] = c;
  }
}

/** Rank of the positive (index 0); ties count against it. */
function rankOfFirst(scores: Float32Array): number {
  let rank = 0;
  for (let j = 1; j < scores.length; j++) if (scores[j] >= scores[0]) rank++;
  return rank;
}

function probeHr(l: Learner, probe: Interaction[], seen: Set<number>[], numItems: number, negatives: number, seed: number): number {
  const rng = new SeededRandom(seed + 99);
  const candidates = new Uint32Array(negatives + 1);
  const scores = new Float32Array(negatives + 1);
  let hits = 0;
  for (const ev of probe) {
    sampleCandidates(candidates, ev.item, seen[ev.user], numItems, rng);
    l.model.scoreItems(l.users[ev.user], candidates, scores);
    if (rankOfFirst(scores) < 10) hits++;
  }
  return probe.length ? hits / probe.length : 0;
}

const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;
