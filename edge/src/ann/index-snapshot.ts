import type { ModelWeights } from '@edgerec/services/model';
import {
  copyIndexRows, fingerprintIndexRows, hnswLayout, mipsBound, writeMipsSlack, type HnswLayout, type HnswSpace,
} from '@edgerec/services/model/ann';

/** A copy of the item table as index vectors, ready to hand to a build worker. */
export interface IndexSnapshot {
  /** count × layout.stride floats in a buffer of their own (transferable) */
  rows: Float32Array;
  count: number;
  space: HnswSpace;
  layout: HnswLayout;
  /** M² of the l2-mips reduction (0 for ip) */
  maxNorm2: number;
  /** rowFingerprint of each copied row (with `fingerprints`): what a kept index compares the live rows with after a restart */
  fingerprints: Uint32Array | null;
}

export interface SnapshotOptions {
  space: HnswSpace;
  normHeadroom?: number;
  /** rows copied between two yields to the event loop (default 4096: ~1.5 ms at dim 64) */
  chunkRows?: number;
  /** gives the event loop a turn between chunks (default: setImmediate) */
  pause?: () => Promise<void>;
  /** checked after every chunk: true stops the copy (resolves null) */
  aborted?: () => boolean;
  /** also fingerprint every row, from the copy itself (so exactly the values indexed) */
  fingerprints?: boolean;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Copies `w` into index vectors a chunk at a time, yielding to the event loop between
 * chunks, so a 1M-row table (~260 MB at dim 64) is never copied in one blocking pass.
 * Rows written while the copy runs are copied as they are at their turn; the caller
 * counts them as changed (RowChangeLog) and re-ranks with the live weights anyway.
 *
 * @example
 * const snap = await snapshotIndexRows(model.weights, { space: 'l2-mips' });
 * startHnswBuild({ rows: snap!.rows, count: snap!.count, layout: snap!.layout, ... });
 */
export async function snapshotIndexRows(w: ModelWeights, opts: SnapshotOptions): Promise<IndexSnapshot | null> {
  const n = w.numItems;
  const layout = hnswLayout(opts.space, w.dim);
  const chunk = Math.max(1, Math.floor(opts.chunkRows ?? 4096));
  const pause = opts.pause ?? nextTurn;
  const rows = new Float32Array(n * layout.stride);
  const norms = new Float64Array(n);
  const fingerprints = opts.fingerprints ? new Uint32Array(n) : null;
  let max = 0;
  // The first chunks are small and grow: until V8 has optimized the copy loop a full chunk would take ~10× longer.
  for (let from = 0, size = Math.min(chunk, 64); from < n; from += size, size = Math.min(chunk, 2 * size)) {
    const to = Math.min(n, from + size);
    max = Math.max(max, copyIndexRows(w, from, to, rows, layout.stride, norms));
    if (fingerprints) fingerprintIndexRows(rows, layout.stride, w.dim, from, to, fingerprints);
    await pause();
    if (opts.aborted?.()) return null;
  }
  let maxNorm2 = 0;
  if (opts.space === 'l2-mips') {
    maxNorm2 = mipsBound(max, opts.normHeadroom);
    // n square roots: a few ms at 1M rows, still chunked to stay in step with the copy
    for (let from = 0; from < n; from += 4 * chunk) {
      writeMipsSlack(rows, layout.stride, norms, from, Math.min(n, from + 4 * chunk), maxNorm2);
      await pause();
      if (opts.aborted?.()) return null;
    }
  }
  return { rows, count: n, space: opts.space, layout, maxNorm2, fingerprints };
}
