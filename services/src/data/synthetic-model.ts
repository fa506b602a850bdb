import { z } from 'zod';
import { DomainError } from '@edgerec/proto-schemas';
import type { SeededRandom } from './seeded-random.js';

/**
 * Options of the synthetic MovieLens-like generator; every field has a default, so `{}`
 * gives an ml-100k-sized data set (943 users, 1682 items, ~100k interactions).
 */
export const SyntheticOptions = z.object({
  seed: z.number().int().default(7),
  numUsers: z.number().int().min(1).max(10_000_000).default(943),
  numItems: z.number().int().min(2).max(10_000_000).default(1682),
  /** mean interactions per user (ml-100k: 106); counts are min + lognormal, so skewed */
  interactionsPerUser: z.number().positive().default(106),
  minInteractionsPerUser: z.number().int().min(1).default(20),
  /** lognormal sigma of the count above the minimum (larger = heavier tail) */
  interactionsSigma: z.number().min(0).max(5).default(1),
  numRegions: z.number().int().min(1).max(1000).default(5),
  numClusters: z.number().int().min(1).max(65535).default(8),
  /** share of a region's users whose taste cluster comes from the region's favoured clusters */
  regionAffinity: z.number().min(0).max(1).default(0.7),
  /**
   * Zipf–Mandelbrot popularity: the item of popularity rank r (0-based) gets logit
   * −α·ln(r + offset). The defaults give ml-100k's shape (top 10% of items ≈ 40–45% of
   * interactions, the most popular item ≈ 600).
   */
  popularityExponent: z.number().min(0).max(10).default(1.5),
  popularityOffset: z.number().min(1).default(20),
  latentDim: z.number().int().min(1).max(1024).default(16),
  /** softmax temperature of the taste term u·v (smaller = more cluster-focused users) */
  temperature: z.number().positive().default(0.25),
  /** std of a user's / item's offset from its cluster centroid (centroids have norm 1) */
  userNoise: z.number().min(0).default(0.5),
  itemNoise: z.number().min(0).default(0.5),
  /** first timestamp (unix s; default = ml-100k's first day) and the span of the data */
  startTs: z.number().int().min(0).default(874_724_710),
  durationSeconds: z.number().int().min(1).default(215 * 86_400),
  /** time fraction of the span after which tastes drift; absent/null = no drift */
  driftAt: z.number().min(0).max(1).nullish(),
  /** 0..1: how far a user's taste moves from its cluster centroid toward the next cluster's */
  driftStrength: z.number().min(0).max(1).default(1),
  /**
   * Mean session length in interactions (0 = no sessions). Within a session the user
   * favours one taste cluster (picked from their own distribution), the short-range
   * correlation that makes sequence-aware models win on MovieLens.
   */
  sessionLength: z.number().int().min(0).max(10_000).default(0),
  /** logit boost of the session's focus cluster */
  sessionBoost: z.number().min(0).max(20).default(2),
});
/** Input form of the options (all fields optional). */
export type SyntheticOptions = z.input<typeof SyntheticOptions>;
/** Options with defaults applied. */
export type SyntheticConfig = z.output<typeof SyntheticOptions>;

/**
 * Applies defaults and validates; invalid options are `DomainError('bad_options')`.
 *
 * @example
 * resolveSyntheticOptions({ seed: 3 }).numUsers; // 943
 */
export function resolveSyntheticOptions(opts: SyntheticOptions = {}): SyntheticConfig {
  const parsed = SyntheticOptions.safeParse(opts);
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new DomainError('bad_options', 400, `synthetic options: ${msg}`);
  }
  return parsed.data;
}

/** The hidden model that generated a synthetic data set — ground truth for tests and benchmarks. */
export interface SyntheticTruth {
  dim: number;
  /** numClusters × dim, unit-norm taste centroids */
  centroids: Float32Array;
  userCluster: Uint16Array;
  itemCluster: Uint16Array;
  userRegion: Uint16Array;
  /** numUsers × dim, taste before any drift */
  userVec: Float32Array;
  /** numItems × dim */
  itemVec: Float32Array;
  /** popularity logit per item, −α·ln(rank + offset) with a random popularity rank */
  itemPopularity: Float32Array;
  /** numRegions × numClusters, P(taste cluster | region) */
  regionClusterProb: Float64Array;
  /** first timestamp with drifted tastes, null without drift */
  driftTs: number | null;
}

/**
 * Draws the latent model: cluster centroids, items around centroids with a Zipf-like
 * popularity, and users whose taste cluster depends on their region (each region favours
 * a few clusters — that is what makes a region partition non-IID).
 *
 * @example
 * const truth = buildLatentModel(resolveSyntheticOptions({}), new SeededRandom(7));
 */
export function buildLatentModel(cfg: SyntheticConfig, rng: SeededRandom): SyntheticTruth {
  const { numUsers: U, numItems: I, numClusters: C, numRegions: R, latentDim: d } = cfg;
  const centroids = new Float32Array(C * d);
  for (let c = 0; c < C; c++) {
    const row = centroids.subarray(c * d, (c + 1) * d);
    let norm = 0;
    for (let k = 0; k < d; k++) norm += (row[k] = rng.normal()) ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let k = 0; k < d; k++) row[k] /= norm;
  }
  const itemCluster = new Uint16Array(I);
  const itemVec = new Float32Array(I * d);
  for (let i = 0; i < I; i++) {
    itemCluster[i] = rng.nextInt(C);
    aroundCentroid(itemVec, i, centroids, itemCluster[i], d, cfg.itemNoise, rng);
  }
  const popRank = rng.shuffle(Uint32Array.from({ length: I }, (_, i) => i));
  const itemPopularity = new Float32Array(I);
  for (let i = 0; i < I; i++) itemPopularity[i] = -cfg.popularityExponent * Math.log(popRank[i] + cfg.popularityOffset);

  const regionClusterProb = regionClusterMatrix(R, C, cfg.regionAffinity);
  const userRegion = new Uint16Array(U);
  const userCluster = new Uint16Array(U);
  const userVec = new Float32Array(U * d);
  for (let u = 0; u < U; u++) {
    userRegion[u] = rng.nextInt(R);
    userCluster[u] = drawCategorical(regionClusterProb.subarray(userRegion[u] * C, (userRegion[u] + 1) * C), rng);
    aroundCentroid(userVec, u, centroids, userCluster[u], d, cfg.userNoise, rng);
  }
  const driftTs = cfg.driftAt == null ? null : cfg.startTs + Math.round(cfg.driftAt * cfg.durationSeconds);
  return {
    dim: d, centroids, userCluster, itemCluster, userRegion, userVec, itemVec, itemPopularity,
    regionClusterProb, driftTs,
  };
}

/**
 * Region r favours a window of ⌈C/R⌉ consecutive clusters starting at ⌊r·C/R⌋ (so
 * neighbouring regions overlap a little); `affinity` of its mass goes there, the rest is
 * uniform.
 */
function regionClusterMatrix(R: number, C: number, affinity: number): Float64Array {
  const p = new Float64Array(R * C);
  const width = Math.max(1, Math.ceil(C / R));
  for (let r = 0; r < R; r++) {
    const start = Math.floor((r * C) / R);
    for (let c = 0; c < C; c++) p[r * C + c] = (1 - affinity) / C;
    for (let j = 0; j < width; j++) p[r * C + ((start + j) % C)] += affinity / width;
  }
  return p;
}

function aroundCentroid(
  out: Float32Array, row: number, centroids: Float32Array, c: number, d: number, noise: number, rng: SeededRandom,
): void {
  const scale = noise / Math.sqrt(d);
  for (let k = 0; k < d; k++) out[row * d + k] = centroids[c * d + k] + scale * rng.normal();
}

function drawCategorical(p: Float64Array, rng: SeededRandom): number {
  let x = rng.nextFloat();
  for (let c = 0; c < p.length; c++) {
    x -= p[c];
    if (x < 0) return c;
  }
  return p.length - 1;
}
