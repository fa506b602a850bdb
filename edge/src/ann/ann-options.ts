/**
 * How an edge serves top-k through an HNSW index. Defaults from the 1M × 64 probe
 * (services/bench/ann-scale-probe.ts): M 32 / efConstruction 200 / efSearch 1024 reach
 * recall@10 0.981 in 1.8 ms where the int8 scan takes 5.2 ms.
 */
export interface AnnOptions {
  /** catalog size from which the index serves (default 1 000 000); 0 = never */
  minItems?: number;
  /** hnswlib ef at query time (default 1024) */
  efSearch?: number;
  /** graph degree (default 32) */
  m?: number;
  /** build beam (default 200) */
  efConstruction?: number;
  /** candidates fetched per query = rerank × k (+ the excluded count), re-scored with the live weights (default 4) */
  rerank?: number;
  /** rebuild once this share of the rows changed since the build (default 0.01) */
  rebuildFraction?: number;
  /**
   * changed rows scored exactly on every query, at most (default 2048). Each costs ~0.3–0.5 µs
   * (a random row read: memory-bound; measured at 200k × 64), so the default bounds the
   * extra to ~1 ms; past it only the index's candidates are re-ranked until the rebuild.
   */
  maxChangedRows?: number;
  /** how often the changed rows are read from the RowTracker, ms (default 1000) */
  refreshMs?: number;
  /** wait after a failed build before the next automatic one, ms (default 60 000; a model swap retries at once) */
  retryMs?: number;
  /** 'async' (default): hnswlib reads the file on a libuv pool thread; 'sync': readIndexSync on the event loop */
  load?: 'async' | 'sync';
  /** rows copied per event-loop turn when snapshotting the table (default 4096: ~1.5 ms at dim 64) */
  copyChunkRows?: number;
  /** l2-mips norm headroom (default 1.2) */
  normHeadroom?: number;
  /** hnswlib level seed (default 100) */
  seed?: number;
  /**
   * keep the built index next to the database and serve from it after a restart (default
   * true; needs a file database): a 1M-row build takes ~9 minutes, a restore seconds
   */
  keep?: boolean;
}

export type ResolvedAnnOptions = Required<AnnOptions>;

export const ANN_DEFAULTS: ResolvedAnnOptions = {
  minItems: 1_000_000, efSearch: 1024, m: 32, efConstruction: 200, rerank: 4, rebuildFraction: 0.01, maxChangedRows: 2048,
  refreshMs: 1000, retryMs: 60_000, load: 'async', copyChunkRows: 4096, normHeadroom: 1.2, seed: 100, keep: true,
};

/** Defaults filled in; throws RangeError on values that cannot work. */
export function resolveAnnOptions(opts: AnnOptions = {}): ResolvedAnnOptions {
  const defined = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
  const o: ResolvedAnnOptions = { ...ANN_DEFAULTS, ...defined };
  const positive = ['efSearch', 'm', 'efConstruction', 'rerank', 'refreshMs', 'copyChunkRows', 'normHeadroom'] as const;
  for (const key of positive) if (!(o[key] > 0)) throw new RangeError(`ann.${key} must be > 0, got ${o[key]}`);
  if (!(o.minItems >= 0)) throw new RangeError(`ann.minItems must be ≥ 0, got ${o.minItems}`);
  if (!(o.rebuildFraction > 0 && o.rebuildFraction <= 1)) throw new RangeError(`ann.rebuildFraction must be in (0, 1], got ${o.rebuildFraction}`);
  if (!(o.maxChangedRows >= 0) || !(o.retryMs >= 0)) throw new RangeError('ann.maxChangedRows and ann.retryMs must be ≥ 0');
  return o;
}
