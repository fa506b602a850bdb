import { Worker } from 'node:worker_threads';
import { hnswlibPath, type HnswLayout } from '@edgerec/services/model/ann';

/**
 * The worker's source, inline (like the WAL checkpointer's) so it runs the same under tsx,
 * vitest and from a build: it cannot import TypeScript, so it only inserts the rows it is
 * given, in order, and writes hnswlib's file. The reduction (which vector a row becomes)
 * stays on the main thread in copyIndexRows, so this index is the one HnswAnnIndex.build
 * would make from the same rows and seed. It stops when the shared `stop` flag is set:
 * `worker.terminate()` while hnswlib is inside a call makes node-addon-api's exception
 * throw fail, which is a FATAL ERROR that takes the whole process down.
 */
const WORKER_SOURCE = `
const { parentPort, workerData: job } = require('node:worker_threads');
const { HierarchicalNSW } = require(job.hnsw);
const rows = new Float32Array(job.rows);
const stop = new Int32Array(job.stop);
const index = new HierarchicalNSW(job.metric, job.stride);
index.initIndex({ maxElements: job.capacity, m: job.m, efConstruction: job.efConstruction, randomSeed: job.seed });
const t0 = performance.now();
const v = new Array(job.stride);
const step = Math.max(1, Math.ceil(job.count / 10));
let i = 0;
for (; i < job.count && Atomics.load(stop, 0) === 0; i++) {
  const off = i * job.stride;
  for (let k = 0; k < job.stride; k++) v[k] = rows[off + k];
  index.addPoint(v, i);
  if ((i + 1) % step === 0 && i + 1 < job.count) parentPort.postMessage({ type: 'progress', done: i + 1 });
}
if (i === job.count && Atomics.load(stop, 0) === 0) {
  const buildMs = performance.now() - t0;
  const t1 = performance.now();
  index.writeIndexSync(job.file);
  // hnswlib writes through an unchecked ofstream: a missing folder or a full disk leaves no (or a short) file
  if (require('node:fs').statSync(job.file).size === 0) throw new Error('empty index file ' + job.file);
  let file;
  if (job.checksum) {
    // for a kept index: its size and crc32 (checked before a later load) and an fsync, read back here off the event loop
    const fs = require('node:fs');
    const { crc32 } = require('node:zlib');
    const fd = fs.openSync(job.file, 'r');
    try {
      const buf = Buffer.allocUnsafe(1 << 22);
      let crc = 0, bytes = 0, n;
      while ((n = fs.readSync(fd, buf, 0, buf.length, bytes)) > 0) { crc = crc32(buf.subarray(0, n), crc); bytes += n; }
      fs.fsyncSync(fd);
      file = { bytes, crc32: crc };
    } finally {
      fs.closeSync(fd);
    }
  }
  parentPort.postMessage({ type: 'done', buildMs, writeMs: performance.now() - t1, file });
}
`;

/** One HNSW build: rows in, hnswlib file out. */
export interface HnswBuildJob {
  /** `count × layout.stride` index vectors (copyIndexRows); its buffer is transferred to the worker */
  rows: Float32Array;
  count: number;
  layout: HnswLayout;
  /** native capacity (≥ count): room for rows added later without a resize */
  capacity: number;
  m: number;
  efConstruction: number;
  seed: number;
  /** where the worker writes the index */
  file: string;
  /** called on the main thread about every 10 % of the rows */
  onProgress?: (done: number, total: number) => void;
  /** after writing, read the file back for its size and crc32 and fsync it (a file to keep across restarts) */
  checksum?: boolean;
}

/** Size and zlib crc32 of a written index file. */
export interface IndexFileSum {
  bytes: number;
  crc32: number;
}

export interface HnswBuildResult {
  /** time the worker spent inserting rows, and writing the file (with `checksum`: reading it back and fsyncing it too) */
  buildMs: number;
  writeMs: number;
  /** with `checksum` */
  file?: IndexFileSum;
}

/** A build running in a worker thread. */
export interface HnswBuildTask {
  /** resolves when the file is written; rejects when the worker fails or is cancelled */
  readonly done: Promise<HnswBuildResult>;
  /** asks the worker to stop (it checks between inserts, so within about a millisecond) and waits for its exit */
  cancel(): Promise<void>;
}

/**
 * Builds an HNSW index in a `worker_threads` Worker: hnswlib's inserts are synchronous
 * native calls (about 9 minutes of CPU at 1M × 64 with M 32 / efConstruction 200), so on
 * the main thread they would stop the event loop. `job.rows` is transferred, not copied
 * (it is unusable here afterwards). The worker keeps the process alive until it is done or
 * cancelled: a process exiting under it would terminate it inside an hnswlib call, which
 * aborts the process (see WORKER_SOURCE); `cancel` lets it finish its current insert and exit.
 *
 * @example
 * const task = startHnswBuild({ rows, count, layout: hnswLayout('l2-mips', 64), capacity, m: 32, efConstruction: 200, seed: 100, file });
 * const { buildMs } = await task.done;
 * const index = await HnswAnnIndex.fromFile(file, model.weights, meta);
 */
export function startHnswBuild(job: HnswBuildJob): HnswBuildTask {
  if (job.rows.length < job.count * job.layout.stride) throw new RangeError(`rows hold fewer than ${job.count} × ${job.layout.stride} floats`);
  if (job.capacity < job.count) throw new RangeError(`capacity ${job.capacity} < ${job.count} rows`);
  // Shared memory is shared; a whole ArrayBuffer is transferred; a view on part of one is copied first so only the rows move.
  const buf = job.rows.buffer;
  const whole = job.rows.byteOffset === 0 && buf.byteLength === job.rows.byteLength;
  const rows = buf instanceof SharedArrayBuffer || whole ? buf : job.rows.slice().buffer;
  const stop = new SharedArrayBuffer(4);
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      hnsw: hnswlibPath(), rows, stop, count: job.count, stride: job.layout.stride, metric: job.layout.metric, capacity: job.capacity,
      m: job.m, efConstruction: job.efConstruction, seed: job.seed, file: job.file, checksum: job.checksum === true,
    },
    transferList: rows instanceof SharedArrayBuffer ? [] : [rows],
  });
  let cancelled = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const done = new Promise<HnswBuildResult>((resolve, reject) => {
    let result: HnswBuildResult | null = null;
    worker.on('message', (m: { type: 'progress'; done: number } | ({ type: 'done' } & HnswBuildResult)) => {
      if (m.type === 'progress') job.onProgress?.(m.done, job.count);
      else result = { buildMs: m.buildMs, writeMs: m.writeMs, ...(m.file ? { file: m.file } : {}) };
    });
    worker.once('error', (e) => reject(e));
    worker.once('exit', (code) => {
      if (result) resolve(result);
      else reject(new Error(cancelled ? 'HNSW build cancelled' : `HNSW build worker exited with code ${code} before writing the index`));
    });
  });
  return {
    done,
    cancel: async () => {
      cancelled = true;
      Atomics.store(new Int32Array(stop), 0, 1);
      await exited;
    },
  };
}
