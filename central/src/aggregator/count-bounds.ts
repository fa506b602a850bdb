import { ModelConfig } from '@edgerec/services/model';
import { KV_KEYS, type CentralStore } from '../store/index.js';

/**
 * Most item-row updates one training sample makes: RecommenderModel.learnOne steps the
 * positive row, one row per sampled negative and, with `historyGrad`, every row of the user's
 * history window (≤ historyLen) — each row at most once per step, though one row may be hit by
 * several of them. The adapter is stepped once per sample.
 *
 * @example
 * rowsPerSample(defaultModelConfig()); // 1 + 4 + 20 = 25
 */
export function rowsPerSample(c: Pick<ModelConfig, 'negatives' | 'historyLen' | 'historyGrad'>): number {
  return 1 + c.negatives + (c.historyGrad ? c.historyLen : 0);
}

/** The most any valid ModelConfig allows (256 negatives, a 512-row history): the bound without a known config. */
export const MAX_ROWS_PER_SAMPLE = rowsPerSample({
  negatives: ModelConfig.shape.negatives.unwrap().maxValue ?? 256,
  historyLen: ModelConfig.shape.historyLen.unwrap().maxValue ?? 512,
  historyGrad: true,
});

/**
 * `rowsPerSample` of the model config central created version 1 with (kv `model_config`),
 * the config edges train with too (both start from the same defaults; the edge CLI changes
 * only proxMu). A store without one (created before it was recorded) gets MAX_ROWS_PER_SAMPLE.
 *
 * @example
 * rowsPerSampleOf(store); // 25 with the default config
 */
export function rowsPerSampleOf(store: CentralStore): number {
  const raw = store.kv.get<{ config?: unknown }>(KV_KEYS.modelConfig);
  const r = ModelConfig.safeParse(raw?.config);
  return raw?.config !== undefined && r.success ? rowsPerSample(r.data) : MAX_ROWS_PER_SAMPLE;
}
