import type { Database } from 'better-sqlite3';

export type ModelStatus = 'candidate' | 'promoted' | 'rejected' | 'rolled-back';

/** Registry entry without the artifact bytes (those are loaded on demand). */
export interface ModelVersionInfo {
  version: number;
  parent: number | null;
  createdAt: number;
  status: ModelStatus;
  metrics: Record<string, number>;
  sha256: string;
  size: number;
  codec: string;
  numItems: number;
  dim: number;
  patchSha256: string | null;
  patchSize: number | null;
  roundId: number | null;
  reason: string | null;
}

export interface NewModelVersion extends Omit<ModelVersionInfo, 'patchSize'> {
  artifact: Uint8Array;
  patch: Uint8Array | null;
}

interface Row {
  version: number;
  parent: number | null;
  created_at: number;
  status: ModelStatus;
  metrics: string;
  sha256: string;
  size: number;
  codec: string;
  num_items: number;
  dim: number;
  patch_sha256: string | null;
  patch_size: number | null;
  round_id: number | null;
  reason: string | null;
}

const INFO_COLUMNS = `version, parent, created_at, status, metrics, sha256, size, codec, num_items, dim,
  patch_sha256, length(patch) AS patch_size, round_id, reason`;

const toInfo = (r: Row): ModelVersionInfo => ({
  version: r.version,
  parent: r.parent,
  createdAt: r.created_at,
  status: r.status,
  metrics: JSON.parse(r.metrics),
  sha256: r.sha256,
  size: r.size,
  codec: r.codec,
  numItems: r.num_items,
  dim: r.dim,
  patchSha256: r.patch_sha256,
  patchSize: r.patch_size,
  roundId: r.round_id,
  reason: r.reason,
});

const asBytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
const asBuffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/**
 * The `model_registry` table: every global model version with its parent, status,
 * metrics and artifacts (int8 snapshot + sparse patch from the parent).
 *
 * @example
 * registry.insert({ version: 2, parent: 1, status: 'candidate', artifact, patch, ... });
 * registry.setStatus(2, 'promoted', 'hr@10 0.41 ≥ 0.40 − 0.01');
 */
export class ModelRegistryStore {
  private readonly insertStmt;
  private readonly infoStmt;
  private readonly listStmt;
  private readonly maxStmt;
  private readonly artifactStmt;
  private readonly patchStmt;
  private readonly statusStmt;
  private readonly metricsStmt;
  private readonly releasedStmt;

  constructor(db: Database) {
    this.insertStmt = db.prepare(
      `INSERT INTO model_registry (version, parent, created_at, status, metrics, sha256, size, codec, num_items, dim,
         artifact, patch, patch_sha256, round_id, reason)
       VALUES (@version, @parent, @createdAt, @status, @metrics, @sha256, @size, @codec, @numItems, @dim,
         @artifact, @patch, @patchSha256, @roundId, @reason)`,
    );
    this.infoStmt = db.prepare<[number], Row>(`SELECT ${INFO_COLUMNS} FROM model_registry WHERE version = ?`);
    this.listStmt = db.prepare<[number], Row>(`SELECT ${INFO_COLUMNS} FROM model_registry ORDER BY version DESC LIMIT ?`);
    this.maxStmt = db.prepare<[], { v: number | null }>('SELECT MAX(version) AS v FROM model_registry');
    this.artifactStmt = db.prepare<[number], { artifact: Buffer }>('SELECT artifact FROM model_registry WHERE version = ?');
    this.patchStmt = db.prepare<[number], { patch: Buffer | null }>('SELECT patch FROM model_registry WHERE version = ?');
    this.statusStmt = db.prepare('UPDATE model_registry SET status = ?, reason = ? WHERE version = ?');
    this.metricsStmt = db.prepare('UPDATE model_registry SET metrics = json_patch(metrics, ?) WHERE version = ?');
    this.releasedStmt = db.prepare<[number, number], { n: number }>(
      `SELECT COUNT(*) AS n FROM model_registry WHERE version > ? AND version <= ? AND status IN ('promoted', 'rolled-back')`,
    );
  }

  insert(m: NewModelVersion): void {
    this.insertStmt.run({
      ...m,
      metrics: JSON.stringify(m.metrics),
      artifact: asBuffer(m.artifact),
      patch: m.patch === null ? null : asBuffer(m.patch),
    });
  }

  get(version: number): ModelVersionInfo | null {
    const row = this.infoStmt.get(version);
    return row ? toInfo(row) : null;
  }

  list(limit = 100): ModelVersionInfo[] {
    return this.listStmt.all(limit).map(toInfo);
  }

  /** Highest version ever registered (0 when empty): the next one is this + 1. */
  maxVersion(): number {
    return this.maxStmt.get()?.v ?? 0;
  }

  artifact(version: number): Uint8Array | null {
    const row = this.artifactStmt.get(version);
    return row ? asBytes(row.artifact) : null;
  }

  patch(version: number): Uint8Array | null {
    const row = this.patchStmt.get(version);
    return row?.patch ? asBytes(row.patch) : null;
  }

  setStatus(version: number, status: ModelStatus, reason: string | null): boolean {
    return this.statusStmt.run(status, reason, version).changes === 1;
  }

  /**
   * Versions released to edges in (after, upTo]: what a delta based on `after` missed.
   * Rejected candidates never reached an edge and do not count.
   */
  releasedBetween(after: number, upTo: number): number {
    return this.releasedStmt.get(after, upTo)?.n ?? 0;
  }

  /** Whether edges can hold this version (it was promoted at some point). */
  wasReleased(version: number): boolean {
    const status = this.get(version)?.status;
    return status === 'promoted' || status === 'rolled-back';
  }

  /** Merges `metrics` into the version's metrics (later keys win). */
  mergeMetrics(version: number, metrics: Record<string, number>): boolean {
    return this.metricsStmt.run(JSON.stringify(metrics), version).changes === 1;
  }
}
