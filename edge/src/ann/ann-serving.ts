import type { RecommenderModel, ScoredItem, UserState } from '@edgerec/services/model';
import type { HnswAnnIndex, HnswFileMeta } from '@edgerec/services/model/ann';
import { pino, type Logger } from 'pino';
import { resolveAnnOptions, type AnnOptions, type ResolvedAnnOptions } from './ann-options.js';
import { buildIndexOffThread, type IndexBuildTimings } from './off-thread-build.js';
import { rerankTopK } from './rerank-top-k.js';
import { RowChangeLog } from './row-change-log.js';

/** What the serving needs of the ModelHolder: the live model, its version, swap events. */
export interface AnnModelSource {
  readonly model: RecommenderModel;
  readonly version: number;
  onSwap(listener: () => void): void;
}

/** One finished build, as logged and observed. */
export interface AnnBuildReport extends IndexBuildTimings {
  reason: string;
  items: number;
  /** model version whose rows were copied */
  modelVersion: number;
}

export interface AnnStatus {
  /** the catalog is at least minItems (and minItems > 0) */
  enabled: boolean;
  /** top-k is served through the index */
  ready: boolean;
  building: boolean;
  /** rows in the served index (0 without one) */
  indexedRows: number;
  /** model version the served index was built from */
  indexVersion: number | null;
  /** rows whose values may differ from the index's: changed since its build, or all of them after a model swap */
  changedRows: number;
  builds: number;
  failures: number;
  lastBuild: AnnBuildReport | null;
}

export interface AnnObserver {
  /** rows inserted by the worker so far, about every 10 % */
  progress?(done: number, total: number): void;
  /** the built index file, loaded and about to be removed (e.g. to time another load of it, or keep a copy) */
  indexFile?(path: string, meta: HnswFileMeta): void;
  built?(report: AnnBuildReport): void;
  failed?(reason: string, error: Error): void;
}

export interface AnnServingDeps {
  holder: AnnModelSource;
  /** folder of the temporary index file (next to the database) */
  dir: string;
  options?: AnnOptions;
  logger?: Logger;
  observer?: AnnObserver;
  /** wall clock for the retry wait (default Date.now) */
  clock?: () => number;
}

interface ActiveIndex {
  index: HnswAnnIndex;
  changes: RowChangeLog;
  version: number;
}

/**
 * Top-k for large catalogs through an HNSW index built off the event loop, with an exact
 * re-rank. Until an index is ready (or below `minItems`) `topK` is the model's own scan.
 * A build snapshots the rows a chunk per event-loop turn, inserts them in a worker thread,
 * writes hnswlib's file next to the database and loads it back. Queries fetch
 * `rerank × k` candidates from the index, add every row changed since the build (up to
 * `maxChangedRows`) and rows newer than it, and rank them all by the live f32 weights.
 * Rebuilds follow a model swap or `rebuildFraction` of the rows changing, one at a time;
 * a build overtaken by a swap is still installed (its candidates are re-ranked) and the
 * next one follows it.
 *
 * @example
 * const ann = new AnnServing({ holder, dir: dirname(dbPath), options: { minItems: 1_000_000 } });
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

  constructor(private readonly deps: AnnServingDeps) {
    this.options = resolveAnnOptions(deps.options);
    this.logger = deps.logger ?? pino({ level: 'silent' });
    this.clock = deps.clock ?? Date.now;
    deps.holder.onSwap(() => this.modelSwapped());
  }

  get enabled(): boolean {
    const { minItems } = this.options;
    return minItems > 0 && this.deps.holder.model.numItems >= minItems;
  }

  /** Starts the periodic change check; the first build starts now when the catalog is large enough. */
  start(): this {
    if (this.timer || this.closing) return this;
    this.timer = setInterval(() => this.refresh(), this.options.refreshMs);
    this.timer.unref();
    this.refresh();
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
      enabled: this.enabled, ready: a !== null && this.enabled && !this.closing, building: this.running !== null,
      indexedRows: a?.index.indexedRows ?? 0, indexVersion: a?.version ?? null,
      changedRows: !a ? 0 : a.changes.swapped ? n : Math.min(n, a.changes.changed + n - a.index.indexedRows),
      builds: this.builds, failures: this.failures, lastBuild: this.lastBuild,
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
        copyChunkRows: o.copyChunkRows, load: o.load, signal: this.abort.signal, onFile: this.deps.observer?.indexFile,
        onProgress: (done, total) => {
          this.logger.debug({ done, total }, 'ann index build progress');
          this.deps.observer?.progress?.(done, total);
        },
      });
      if (!built || this.closing) return;
      changes.look(holder.model.tracker.counts); // rows written since the last periodic look are candidates from the first query on
      this.active = { index: built.index, changes, version };
      this.failedAt = null;
      this.builds++;
      const report: AnnBuildReport = { reason, items: built.meta.count, modelVersion: version, ...built.timings };
      this.lastBuild = report;
      this.logger.info({ ...report, changedSinceStart: changes.changed, servingVersion: holder.version }, 'ann index build finished');
      this.deps.observer?.built?.(report);
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
}
