import { z } from 'zod';

/** Uniform [0,1) random source; inject a seeded one for reproducibility. */
export type Rng = () => number;

/**
 * Hyper-parameters of the recommender. Defaults were tuned on the synthetic generator and
 * the MovieLens-format fixtures (see docs/decisions.md); nothing is dataset-specific.
 */
export const ModelConfig = z.object({
  dim: z.number().int().min(2).max(1024).default(64),
  /** loss for online/offline updates */
  loss: z.enum(['bpr', 'bce', 'softmax']).default('bpr'),
  /** temperature of the sampled-softmax loss */
  temperature: z.number().positive().max(10).default(1),
  optimizer: z.enum(['sgd', 'adagrad']).default('adagrad'),
  lr: z.number().positive().max(10).default(0.05),
  /**
   * Decay of the Adagrad accumulators per update (1 = plain Adagrad). Below 1 it becomes
   * RMSProp-like, so step sizes recover after a drift instead of shrinking forever.
   */
  accumDecay: z.number().gt(0).max(1).default(1),
  /** L2 on item rows, biases and user vectors (applied to touched rows only) */
  reg: z.number().min(0).max(10).default(0.005),
  /** rank r of the shared adapter W = I + A·Bᵀ (A, B: dim × r); 0 = identity */
  adapterRank: z.number().int().min(0).max(256).default(8),
  /** also update the history rows through the adapter (false = only W learns from history) */
  historyGrad: z.boolean().default(true),
  /** L2 on the shared adapter */
  regAdapter: z.number().min(0).max(10).default(0.001),
  /** sampled negatives per positive */
  negatives: z.number().int().min(1).max(256).default(4),
  /** length of the recent-history window that feeds the adapter */
  historyLen: z.number().int().min(0).max(512).default(20),
  /** init std of item rows and user vectors */
  initStd: z.number().min(0).max(1).default(0.05),
  /** FedProx-style pull toward the last global model (0 = off) */
  proxMu: z.number().min(0).max(10).default(0),
});
export type ModelConfig = z.infer<typeof ModelConfig>;

export const defaultModelConfig = (overrides: Partial<ModelConfig> = {}): ModelConfig =>
  ModelConfig.parse(overrides);
