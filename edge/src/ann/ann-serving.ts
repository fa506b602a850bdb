import { rm } from 'node:fs/promises';
import zlib from 'node:zlib';
import { isDomainError } from '@edgerec/proto-schemas';
import type { ScoredItem, UserState } from '@edgerec/services/model';
import type { HnswAnnIndex } from '@edgerec/services/model/ann';
import { pino, type Logger } from 'pino';
import { resolveAnnOptions, type ResolvedAnnOptions } from './ann-options.js';
import type { AnnBuildReport, AnnRestoreReport, AnnServingDeps, AnnStatus } from './ann-status.js';
import { restoreKeptIndex } from './kept-index-restore.js';
import { KeptIndexStore } from './kept-index-store.js';
import { buildIndexOffThread, sweepStaleBuildFiles, type OffThreadBuild } from './off-thread-build.js';
import { rerankTopK } from './rerank-top-k.js';
import { RowChangeLog } from './row-change-log.js';

export type { AnnBuildReport, AnnModelSource, AnnObserver, AnnRestoreReport, AnnServingDeps, AnnStatus } from './ann-status.js';

interface ActiveIndex {
  index: HnswAnnIndex;
  changes: RowChangeLog;
  version: number;
  restored: boolean;
}

/** zlib.crc32 arrived in Node 20.15: without it nothing is kept (a file could not be checked) */
const canKeep = typeof (zlib as { crc32?: unknown }).crc32 === 'function';

/**
 * Top-k for large catalogs through an HNSW index built off the event loop, with an exact
 * re-rank. Until an index is ready (or below `minItems`) `topK` is the model's own scan.
 * A build snapshots the rows a chunk per event-loop turn, inserts them in a worker thread,
 * writes hnswlib's file next to the database and loads it back. Queries fetch
 * `rerank × k` candidates from the index, add every row changed since the build (up to
 * `maxChangedRows`) and rows newer than it, and rank them all by the live f32 weights.
 * Rebuilds follow a model swap or `rebuildFraction` of the rows changing, one at a time;
 * a build overtaken by a swap is still installed (its candidates are re-ranked) and the
 * next one follows it. With `keepPath` each build is kept on disk (KeptIndexStore) and the
 * next start serves from it after a check: rows whose values differ from the indexed ones
 * (fingerprints) count as changed, a kept file that does not fit or is damaged is removed.
 *
 * @example
 * const ann = new AnnServing({ holder, dir: dirname(dbPath), keepPath: dbPath, options: { minItems: 1_000_000 } });
 * ann.start();
 * ann.topK(user, 10, seen, user.recent); // the scan until the index is ready
 * await ann.close();
 */
export class AnnServing {
  readonly options: ResolvedAnnOptions;
  private readonly logger: Logger;
  private readonly clock: () => number;
  private active: ActiveIndex | null = null;
  /** change log of the build in progress (becomes the active one's) */
  private pending: RowChangeLog | null = null;
  private readonly abort = new AbortController();
  private running: Promise<void> | null = null;
  private queued: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closing: Promise<void> | null = null;
  private failedAt: number | null = null;
  private builds = 0;
  private failures = 0;
  private lastBuild: AnnBuildReport | null = null;
  private readonly store: KeptIndexStore | null;
  private restoring = false;
  private lastRestore: AnnRestoreReport | null = null;
  private restoreRejects = 0;

  constructor(private readonly deps: AnnServingDeps) {
    this.options = resolveAnnOptions(deps.options);
    this.logger = deps.logger ?? pino({ level: 'silent' });
    this.clock = deps.clock ?? Date.now;
    this.store = deps.keepPath && this.options.keep && canKeep ? new KeptIndexStore(deps.keepPath, this.clock) : null;
    deps.holder.onSwap(() => this.modelSwapped());
  }

  get enabled(): boolean {
    const { minItems } = this.options;
    return minItems > 0 && this.deps.holder.model.numItems >= minItems;
  }

  /**
   * Starts the periodic change check. When the catalog is large enough, the index kept by
   * the previous run is restored now (`restoring`), else (or when it cannot be used) the
   * first build starts.
   */
  start(): this {
    if (this.timer || this.closing) return this;
    this.timer = setInterval(() => this.refresh(), this.options.refreshMs);
    this.timer.unref();
    const { keepPath } = this.deps;
    if (this.store && this.enabled) {
      this.restoring = true;
      this.first(this.restore(this.store));
    } else if (keepPath && !this.options.keep) {
      // keeping turned off: what an earlier run kept (hundreds of MB at 1M rows) goes before the first build
      this.first(new KeptIndexStore(keepPath).discard().catch((e: Error) => this.logger.warn({ err: e.message }, 'could not remove the kept ann index')));
    } else {
      void sweepStaleBuildFiles(this.deps.dir);
      this.refresh();
    }
    return this;
  }

  /**
   * Top-k for `user`, best first, skipping `exclude`: through the index when it is ready
   * and the catalog is large enough, else `model.topK`. Same contract as RecommenderModel.topK.
   */
  topK(user: UserState, k: number, exclude?: { has(item: number): boolean }, history?: ArrayLike<number>): ScoredItem[] {
    const model = this.deps.holder.model;
    const a = this.active;
    const newer = a ? model.numItems - a.index.indexedRows : 0;
    if (!a || this.closing || !this.enabled || newer > this.options.maxChangedRows) return model.topK(user, k, exclude, history);
    const q = model.userQuery(user, history);
    const fromIndex = a.index.candidates(q, this.options.rerank * k, exclude);
    const changed = a.changes.rows() ?? [];
    return rerankTopK({ fromIndex, changed, indexedRows: a.index.indexedRows, numItems: model.numItems }, k, (i) => model.scoreWithQuery(q, i), exclude);
  }

  /** Reads the RowTracker now (also done every refreshMs) and starts a build when one is due. */
  refresh(): void {
    if (this.closing) return;
    const counts = this.deps.holder.model.tracker.counts;
    this.active?.changes.look(counts);
    this.pending?.look(counts);
    if (!this.enabled || this.running) return;
    if (this.failedAt !== null && this.clock() - this.failedAt < this.options.retryMs) return;
    if (!this.active) this.requestBuild(this.failedAt === null ? 'catalog-size' : 'retry');
    else if (this.active.changes.changed >= this.options.rebuildFraction * this.deps.holder.model.numItems) this.requestBuild('changed-rows');
  }

  /** Resolves once no build is running or queued. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  status(): AnnStatus {
    const a = this.active;
    const n = this.deps.holder.model.numItems;
    return {
      enabled: this.enabled, ready: a !== null && this.enabled && !this.closing, building: this.running !== null && !this.restoring,
      restoring: this.restoring, restoredFrom: a?.restored ? 'file' : null,
      indexedRows: a?.index.indexedRows ?? 0, indexVersion: a?.version ?? null,
      changedRows: !a ? 0 : a.changes.swapped ? n : Math.min(n, a.changes.changed + n - a.index.indexedRows),
      builds: this.builds, failures: this.failures, lastBuild: this.lastBuild, lastRestore: this.lastRestore, restoreRejects: this.restoreRejects,
    };
  }

  /** Stops the timer and a running build (its worker exits at its next insert), then drops the index. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.timer) clearInterval(this.timer);
      this.queued = null;
      this.abort.abort(); // a running build's worker stops at its next insert
      await this.idle();
      this.active = null;
    })();
    return this.closing;
  }

  private modelSwapped(): void {
    if (this.closing) return;
    const counts = this.deps.holder.model.tracker.counts;
    this.active?.changes.modelSwapped(counts);
    this.pending?.modelSwapped(counts);
    this.failedAt = null;
    if (this.enabled) this.requestBuild('model-swap');
  }

  /** Runs `task` as the running one (refresh starts no build meanwhile), then whatever it queued, or the first build. */
  private first(task: Promise<void>): void {
    this.running = task.finally(() => {
      this.running = null;
      this.restoring = false;
      const next = this.queued;
      if (next && this.enabled) this.requestBuild(next);
      else this.refresh();
    });
  }

  /** Starts a build now, or queues one after the running build (at most one runs). */
  private requestBuild(reason: string): void {
    if (this.closing) return;
    if (this.running) {
      this.queued = reason;
      return;
    }
    this.queued = null;
    this.running = this.build(reason).finally(() => {
      this.running = null;
      const next = this.queued;
      if (next && this.enabled) this.requestBuild(next);
    });
  }

  private async build(reason: string): Promise<void> {
    const { holder } = this.deps;
    const o = this.options;
    const w = holder.model.weights;
    const version = holder.version;
    const changes = new RowChangeLog(holder.model.tracker.counts, o.maxChangedRows);
    this.pending = changes;
    this.logger.info({ reason, items: w.numItems, modelVersion: version, m: o.m, efConstruction: o.efConstruction }, 'ann index build started');
    try {
      const built = await buildIndexOffThread(w, {
        dir: this.deps.dir, m: o.m, efConstruction: o.efConstruction, efSearch: o.efSearch, seed: o.seed, normHeadroom: o.normHeadroom,
        copyChunkRows: o.copyChunkRows, load: o.load, signal: this.abort.signal, onFile: this.deps.observer?.indexFile, keepAs: this.store?.newIndexPath(),
        onProgress: (done, total) => {
          this.logger.debug({ done, total }, 'ann index build progress');
          this.deps.observer?.progress?.(done, total);
        },
      });
      if (!built) return;
      if (!this.closing) {
        changes.look(holder.model.tracker.counts); // rows written since the last periodic look are candidates from the first query on
        this.active = { index: built.index, changes, version, restored: false };
        this.failedAt = null;
        this.builds++;
        const report: AnnBuildReport = { reason, items: built.meta.count, modelVersion: version, ...built.timings };
        this.lastBuild = report;
        this.logger.info({ ...report, changedSinceStart: changes.changed, servingVersion: holder.version }, 'ann index build finished');
        this.deps.observer?.built?.(report);
      }
      await this.keep(built, version); // after serving from it, and also when closing: the next start serves it instead of building
    } catch (e) {
      if (this.closing) return;
      this.failures++;
      this.failedAt = this.clock();
      this.logger.error({ reason, err: (e as Error).message }, 'ann index build failed; serving keeps the previous path');
      this.deps.observer?.failed?.(reason, e as Error);
    } finally {
      this.pending = null;
    }
  }

  /** Serves the index the previous run kept, when it fits and is intact; removes it otherwise (the first build follows). */
  private async restore(store: KeptIndexStore): Promise<void> {
    const { holder } = this.deps;
    const o = this.options;
    const changes = new RowChangeLog(holder.model.tracker.counts, o.maxChangedRows);
    this.pending = changes;
    try {
      await sweepStaleBuildFiles(this.deps.dir);
      const r = await restoreKeptIndex({
        store, weights: () => holder.model.weights, shape: o, efSearch: o.efSearch, changed: (row) => changes.mark(row),
        chunkRows: o.copyChunkRows, signal: this.abort.signal,
      });
      if (!r || this.closing) return;
      changes.look(holder.model.tracker.counts);
      const n = holder.model.numItems;
      const stale = changes.changed + n - r.header.count;
      const rebuild = r.header.modelVersion !== holder.version ? 'restored-model-version'
        : stale > o.maxChangedRows || stale >= o.rebuildFraction * n ? 'restored-changed-rows' : null;
      this.active = { index: r.index, changes, version: r.header.modelVersion, restored: true };
      this.failedAt = null;
      const report: AnnRestoreReport = { items: r.header.count, modelVersion: r.header.modelVersion, changedRows: r.changedRows, rebuild, ...r.timings };
      this.lastRestore = report;
      if (rebuild) this.queued ??= rebuild; // runs once this restore is done; the restored index serves meanwhile
      this.logger.info({ ...report, servingVersion: holder.version, builtAt: r.header.builtAt }, 'ann index restored from the kept file');
      this.deps.observer?.restored?.(report);
    } catch (e) {
      if (this.closing) return;
      const err = e as Error;
      const kind = isDomainError(e) ? (e.code === 'ann_index_mismatch' ? 'mismatch' : 'corrupt') : 'error';
      this.restoreRejects++;
      this.logger[kind === 'mismatch' ? 'info' : 'warn']({ kind, err: err.message }, 'kept ann index not used; building a new one');
      this.deps.observer?.restoreRejected?.(kind, err);
      // a file judged unusable goes; one that could not be read (e.g. EACCES) is left to the next build's commit to replace
      if (kind !== 'error') await store.discard().catch((d: Error) => this.logger.warn({ err: d.message }, 'could not remove the kept ann index'));
    } finally {
      this.pending = null;
    }
  }

  /** Commits a finished build's file as the kept index; on failure the file goes and the next start builds again. */
  private async keep(built: OffThreadBuild, version: number): Promise<void> {
    const { kept, meta } = built;
    if (!kept || !this.store) return;
    const o = this.options;
    try {
      const build = { modelVersion: version, space: meta.space, dim: meta.dim, count: meta.count, maxNorm2: meta.maxNorm2, m: o.m, efConstruction: o.efConstruction, normHeadroom: o.normHeadroom, seed: o.seed };
      const header = await this.store.commit(kept.file, build, kept.sum, kept.fingerprints);
      this.logger.info({ file: header.indexFile, bytes: header.indexBytes, modelVersion: version }, 'ann index kept for the next start');
    } catch (e) {
      this.logger.warn({ err: (e as Error).message }, 'could not keep the ann index; the next start builds again');
      await rm(kept.file, { force: true }).catch(() => {});
    }
  }
}
