import type { RecommenderModel } from '@edgerec/services/model';
import type { HnswFileMeta } from '@edgerec/services/model/ann';
import type { Logger } from 'pino';
import type { AnnOptions } from './ann-options.js';
import type { RestoreTimings } from './kept-index-restore.js';
import type { IndexBuildTimings } from './off-thread-build.js';

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

/** One index read back from the file a previous run kept, as logged and observed. */
export interface AnnRestoreReport extends RestoreTimings {
  items: number;
  /** model version the kept index was built from */
  modelVersion: number;
  /** indexed rows whose live values differ from the indexed ones (fingerprints), re-ranked exactly */
  changedRows: number;
  /** why a rebuild was requested at once, or null */
  rebuild: string | null;
}

export interface AnnStatus {
  /** the catalog is at least minItems (and minItems > 0) */
  enabled: boolean;
  /** top-k is served through the index */
  ready: boolean;
  building: boolean;
  /** the index kept by the previous run is being checked and loaded */
  restoring: boolean;
  /** 'file': the served index was restored from the kept file (until a build replaces it) */
  restoredFrom: 'file' | null;
  /** rows in the served index (0 without one) */
  indexedRows: number;
  /** model version the served index was built from */
  indexVersion: number | null;
  /** rows whose values may differ from the index's: changed since its build, or all of them after a model swap */
  changedRows: number;
  builds: number;
  failures: number;
  lastBuild: AnnBuildReport | null;
  lastRestore: AnnRestoreReport | null;
  /** kept files found unusable (mismatch, corrupt, unreadable) and removed */
  restoreRejects: number;
}

export interface AnnObserver {
  /** rows inserted by the worker so far, about every 10 % */
  progress?(done: number, total: number): void;
  /** the built index file, loaded (and about to be removed unless kept; e.g. to time another load of it) */
  indexFile?(path: string, meta: HnswFileMeta): void;
  built?(report: AnnBuildReport): void;
  failed?(reason: string, error: Error): void;
  restored?(report: AnnRestoreReport): void;
  /** a kept index was not used: 'mismatch' (other model shape or options), 'corrupt' or 'error' (e.g. unreadable) */
  restoreRejected?(kind: 'mismatch' | 'corrupt' | 'error', error: Error): void;
}

export interface AnnServingDeps {
  holder: AnnModelSource;
  /** folder of the temporary index file (next to the database) */
  dir: string;
  /**
   * keep the built index as `<keepPath>-ann.*` (keepPath: the database file) and restore it
   * at start; unset (or `options.keep` false) = every start builds
   */
  keepPath?: string;
  options?: AnnOptions;
  logger?: Logger;
  observer?: AnnObserver;
  /** wall clock for the retry wait (default Date.now) */
  clock?: () => number;
}
