import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Db } from './open-database.js';

/**
 * The worker's source, inline so it runs the same under tsx and from a build: its own
 * connection to the file, one PASSIVE checkpoint per message. PASSIVE never waits for
 * readers or the writer, so the event loop's connection is never blocked by it.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 0');
db.pragma('synchronous = NORMAL');
parentPort.on('message', (m) => {
  if (m === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true, busy: r.busy, log: r.log, checkpointed: r.checkpointed });
  } catch (e) {
    parentPort.postMessage({ ok: false, error: String(e && e.message) });
  }
});
`;

export interface WalCheckpointStats {
  /** checkpoints run by the worker */
  runs: number;
  /** WAL frames at the last run, and how many of them were copied into the database */
  lastLog: number;
  lastCheckpointed: number;
  failures: number;
  lastError?: string;
}

export interface WalCheckpointerOptions {
  /** how often the worker checkpoints (default 1000 ms) */
  intervalMs?: number;
  /**
   * pages after which the main connection still checkpoints by itself (default 16 384,
   * 64 MiB at 4 KiB pages): the safety net if the worker falls behind or dies
   */
  fallbackPages?: number;
}

/**
 * Moves SQLite's WAL checkpoints off the event loop. By default the connection that
 * commits runs the checkpoint once the WAL passes 1000 pages: it copies ~4 MB into the
 * database and fsyncs it inside a request, a stall of tens of ms. Here the main
 * connection's automatic checkpoint is raised to a safety-net size and a worker thread with
 * its own connection runs PASSIVE checkpoints every `intervalMs`; the next writer then
 * restarts the WAL from the beginning, so the file stays small.
 *
 * @example
 * const cp = WalCheckpointer.start(db);
 * // ... serve ...
 * await cp.stop();
 */
export class WalCheckpointer {
  readonly stats: WalCheckpointStats = { runs: 0, lastLog: 0, lastCheckpointed: 0, failures: 0 };
  private timer: NodeJS.Timeout | null = null;
  private inFlight = false;
  private exited: Promise<void>;

  private constructor(private readonly worker: Worker, intervalMs: number) {
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (m: { ok: boolean; log?: number; checkpointed?: number; error?: string }) => {
      this.inFlight = false;
      if (m.ok) {
        this.stats.runs++;
        this.stats.lastLog = m.log ?? 0;
        this.stats.lastCheckpointed = m.checkpointed ?? 0;
      } else {
        this.stats.failures++;
        this.stats.lastError = m.error;
      }
    });
    worker.on('error', (e) => {
      this.stats.failures++;
      this.stats.lastError = e.message;
    });
    this.timer = setInterval(() => this.kick(), intervalMs);
    this.timer.unref();
    worker.unref();
  }

  /** Starts the worker for `db`'s file; null for in-memory or read-only databases. */
  static start(db: Db, opts: WalCheckpointerOptions = {}): WalCheckpointer | null {
    if (db.memory || db.readonly) return null;
    db.pragma(`wal_autocheckpoint = ${Math.max(1000, Math.floor(opts.fallbackPages ?? 16_384))}`);
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path: db.name, driver } });
    return new WalCheckpointer(worker, opts.intervalMs ?? 1000);
  }

  /** Asks for a checkpoint now (skipped while one runs). */
  kick(): void {
    if (this.inFlight || this.timer === null) return;
    this.inFlight = true;
    this.worker.postMessage('checkpoint');
  }

  /** Stops the timer, lets a running checkpoint finish and closes the worker's connection. */
  async stop(): Promise<void> {
    if (this.timer === null) return this.exited;
    clearInterval(this.timer);
    this.timer = null;
    this.worker.postMessage('close');
    const forced = setTimeout(() => void this.worker.terminate(), 5000);
    await this.exited;
    clearTimeout(forced);
  }
}
