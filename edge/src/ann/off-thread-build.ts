import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelWeights } from '@edgerec/services/model';
import { HnswAnnIndex, preloadHnswlib, type HnswFileMeta } from '@edgerec/services/model/ann';
import { startHnswBuild, type HnswBuildResult, type IndexFileSum } from './ann-build-worker.js';
import { snapshotIndexRows } from './index-snapshot.js';

export interface OffThreadBuildOptions {
  /** folder of the temporary index file */
  dir: string;
  m: number;
  efConstruction: number;
  /** ef the loaded index searches with */
  efSearch: number;
  seed: number;
  normHeadroom: number;
  copyChunkRows: number;
  /** 'async': hnswlib reads the file on a libuv pool thread; 'sync': readIndexSync on this thread */
  load: 'async' | 'sync';
  /** stops the copy or the worker (which exits by itself within one insert); the build then resolves null */
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** the file, loaded (and about to be removed unless `keepAs`) */
  onFile?: (path: string, meta: HnswFileMeta) => void;
  /**
   * write the index to this path and leave it there after a successful load, fsynced, with
   * its size and crc32 and the rows' fingerprints in the result (to keep it across restarts);
   * it is still removed when the build fails or is aborted
   */
  keepAs?: string;
}

/** One finished off-thread build. */
export interface OffThreadBuild {
  index: HnswAnnIndex;
  meta: HnswFileMeta;
  timings: IndexBuildTimings;
  /** with `keepAs`: the file left in place, its size and crc32, and the fingerprints of the rows it holds */
  kept: { file: string; sum: IndexFileSum; fingerprints: Uint32Array } | null;
}

/** Where the time of one build went (ms). */
export interface IndexBuildTimings extends Omit<HnswBuildResult, 'file'> {
  /** main-thread copy of the rows, spread over event-loop turns */
  copyMs: number;
  /** wall time of the load, and how long of it this thread was blocked */
  loadMs: number;
  loadBlockMs: number;
}

let fileSeq = 0;

const TEMP_BUILD_FILE = /^\.edgerec-ann-(\d+)-\d+\.hnsw$/;

const processGone = (pid: number) => {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
};

/**
 * Removes the temporary build files (`.edgerec-ann-<pid>-<n>.hnsw`) that processes no
 * longer running left in `dir` (killed mid-build; the folder may be shared, so a live
 * process's file stays). Returns the names removed.
 *
 * @example
 * await sweepStaleBuildFiles(dirname(dbPath));
 */
export async function sweepStaleBuildFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const stale = names.filter((n) => {
    const pid = Number(TEMP_BUILD_FILE.exec(n)?.[1] ?? NaN);
    return Number.isInteger(pid) && pid !== process.pid && processGone(pid);
  });
  await Promise.all(stale.map((n) => rm(join(dir, n), { force: true }).catch(() => {})));
  return stale;
}

/**
 * An l2-mips HNSW index over `w`, built without holding the event loop: the rows are
 * copied a chunk per turn, inserted by a worker thread into hnswlib, written to a
 * temporary file in `dir` (or to `keepAs`), and read back (on a pool thread unless `load`
 * is 'sync'). The file is removed afterwards, whatever happens, unless it is to be kept
 * and the build succeeded. Resolves null when `signal` aborted it.
 *
 * @example
 * const built = await buildIndexOffThread(model.weights, { dir, m: 32, efConstruction: 200, efSearch: 1024, seed: 100, normHeadroom: 1.2, copyChunkRows: 16_384, load: 'async' });
 * built?.index.candidates(q, 40);
 */
export async function buildIndexOffThread(w: ModelWeights, o: OffThreadBuildOptions): Promise<OffThreadBuild | null> {
  const aborted = () => o.signal?.aborted === true;
  const file = o.keepAs ?? join(o.dir, `.edgerec-ann-${process.pid}-${++fileSeq}.hnsw`);
  let keep = false;
  try {
    preloadHnswlib(); // fails fast without the addon, and keeps its one-time load out of the load-block figure
    const t0 = performance.now();
    const snap = await snapshotIndexRows(w, { space: 'l2-mips', normHeadroom: o.normHeadroom, chunkRows: o.copyChunkRows, aborted, fingerprints: o.keepAs !== undefined });
    if (!snap) return null;
    const copyMs = performance.now() - t0;
    const task = startHnswBuild({
      rows: snap.rows, count: snap.count, layout: snap.layout, capacity: Math.max(1, Math.ceil(snap.count * 1.1)), m: o.m,
      efConstruction: o.efConstruction, seed: o.seed, file, onProgress: o.onProgress, checksum: o.keepAs !== undefined,
    });
    const cancel = () => void task.cancel();
    o.signal?.addEventListener('abort', cancel, { once: true });
    let built: HnswBuildResult;
    const fingerprints = snap.fingerprints; // snap.rows is transferred to the worker; the fingerprints stay here
    try {
      built = await task.done;
    } catch (e) {
      if (aborted()) return null;
      throw e;
    } finally {
      o.signal?.removeEventListener('abort', cancel);
    }
    if (aborted()) return null;
    const meta: HnswFileMeta = { space: snap.space, dim: w.dim, count: snap.count, maxNorm2: snap.maxNorm2 };
    const t1 = performance.now();
    let index: HnswAnnIndex;
    let loadBlockMs: number;
    if (o.load === 'sync') {
      index = HnswAnnIndex.fromFileSync(file, w, meta, { efSearch: o.efSearch });
      loadBlockMs = performance.now() - t1;
    } else {
      const loading = HnswAnnIndex.fromFile(file, w, meta, { efSearch: o.efSearch });
      loadBlockMs = performance.now() - t1; // the synchronous part; the read itself runs on a pool thread
      index = await loading;
    }
    const loadMs = performance.now() - t1;
    if (aborted()) return null;
    o.onFile?.(file, meta);
    const { file: sum, ...worker } = built;
    keep = o.keepAs !== undefined && sum !== undefined && fingerprints !== null;
    return { index, meta, timings: { copyMs, ...worker, loadMs, loadBlockMs }, kept: keep ? { file, sum: sum!, fingerprints: fingerprints! } : null };
  } finally {
    if (!keep) await rm(file, { force: true }).catch(() => {});
  }
}
