import { DomainError } from '@edgerec/proto-schemas';
import type { ModelWeights } from '@edgerec/services/model';
import { diffFingerprints, HnswAnnIndex, preloadHnswlib } from '@edgerec/services/model/ann';
import type { KeptIndexHeader } from './kept-index-file.js';
import type { KeptIndexStore } from './kept-index-store.js';

/** The build options a kept index must share with the current ones to be served. */
export interface KeptIndexShape {
  m: number;
  efConstruction: number;
  normHeadroom: number;
}

export interface RestoreOptions {
  store: KeptIndexStore;
  /** the live weights (read again every chunk: a swap may replace them meanwhile) */
  weights: () => ModelWeights;
  shape: KeptIndexShape;
  efSearch: number;
  /** called for every indexed row whose live values differ from those indexed */
  changed: (row: number) => void;
  /** rows fingerprinted per event-loop turn */
  chunkRows: number;
  signal?: AbortSignal;
}

/** Where the time of one restore went (ms). */
export interface RestoreTimings {
  /** meta read and stale-file sweep */
  readMs: number;
  /** size + crc32 of the index file */
  verifyMs: number;
  /** hnswlib's async read, and how long of it this thread was blocked */
  loadMs: number;
  loadBlockMs: number;
  /** fingerprint comparison (runs alongside the verify and the load), and its longest turn on this thread */
  compareMs: number;
  compareMaxTurnMs: number;
  totalMs: number;
}

export interface RestoredIndex {
  index: HnswAnnIndex;
  header: KeptIndexHeader;
  /** indexed rows whose live values differ from the indexed ones */
  changedRows: number;
  timings: RestoreTimings;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Why the kept header cannot serve the current model and options; null when it can. */
export function keptIndexMismatch(h: KeptIndexHeader, w: Pick<ModelWeights, 'dim' | 'numItems'>, shape: KeptIndexShape): string | null {
  if (h.space !== 'l2-mips') return `space ${h.space}, the edge builds l2-mips`;
  if (h.dim !== w.dim) return `dim ${h.dim}, the model has ${w.dim}`;
  if (h.count > w.numItems) return `${h.count} rows, the model has ${w.numItems}`; // fewer is fine: newer rows are scored exactly
  for (const key of ['m', 'efConstruction', 'normHeadroom'] as const) if (h[key] !== shape[key]) return `${key} ${h[key]}, now ${shape[key]}`;
  return null;
}

/**
 * Loads the index kept by a previous run, if any: reads its meta, sweeps files no meta
 * names (a crashed build's), checks it fits the model (`ann_index_mismatch`) and that its
 * file is whole (`bad_ann_index`), then reads it with hnswlib's async read (a pool thread)
 * while the live rows are fingerprinted a chunk per event-loop turn and compared with the
 * kept fingerprints: every row that moved since the build (online learning, a new global
 * model) is passed to `changed`, so the caller re-ranks it exactly. Resolves null when
 * nothing is kept or `signal` aborted; throws DomainError for a file to discard.
 *
 * @example
 * const r = await restoreKeptIndex({ store, weights: () => model.weights, shape, efSearch: 1024, changed: (i) => log.mark(i), chunkRows: 4096 });
 */
export async function restoreKeptIndex(o: RestoreOptions): Promise<RestoredIndex | null> {
  const t0 = performance.now();
  const kept = await o.store.read();
  await o.store.sweep(kept?.header.indexFile ?? null);
  if (!kept || o.signal?.aborted) return null;
  const { header, fingerprints } = kept;
  const why = keptIndexMismatch(header, o.weights(), o.shape);
  if (why) throw new DomainError('ann_index_mismatch', 500, `kept ANN index does not fit: ${why}`);
  preloadHnswlib();
  const readMs = performance.now() - t0;

  let stop = false;
  let changedRows = 0;
  let compareMs = 0;
  let compareMaxTurnMs = 0;
  const compare = (async () => {
    const t = performance.now();
    // Chunks start small and double: until V8 has optimized the hash loop a full chunk takes ~10× longer.
    for (let from = 0, size = Math.min(o.chunkRows, 64); from < header.count && !stop; from += size, size = Math.min(o.chunkRows, 2 * size)) {
      const s = performance.now();
      changedRows += diffFingerprints(o.weights(), fingerprints, from, Math.min(header.count, from + size), o.changed);
      compareMaxTurnMs = Math.max(compareMaxTurnMs, performance.now() - s);
      await nextTurn();
    }
    compareMs = performance.now() - t;
  })();
  try {
    const t1 = performance.now();
    await o.store.verify(kept, o.signal);
    const t2 = performance.now();
    const meta = { space: header.space, dim: header.dim, count: header.count, maxNorm2: header.maxNorm2 };
    const loading = HnswAnnIndex.fromFile(kept.indexPath, o.weights(), meta, { efSearch: o.efSearch });
    const loadBlockMs = performance.now() - t2; // the synchronous part; the read runs on a pool thread
    const index = await loading.catch((e: Error) => {
      throw new DomainError('bad_ann_index', 500, `kept ANN index: hnswlib could not load it: ${e.message}`);
    });
    const loadMs = performance.now() - t2;
    await compare;
    if (o.signal?.aborted) return null;
    const timings = { readMs, verifyMs: t2 - t1, loadMs, loadBlockMs, compareMs, compareMaxTurnMs, totalMs: performance.now() - t0 };
    return { index, header, changedRows, timings };
  } catch (e) {
    if (o.signal?.aborted && (e as Error).name === 'AbortError') return null;
    throw e;
  } finally {
    stop = true;
    await compare;
  }
}
