import type { Database } from 'better-sqlite3';

/** Keys central keeps in the `kv` table. */
export const KV_KEYS = {
  /** the promoted model version edges should run */
  activeVersion: 'active_version',
  /** keyId of the ed25519 key manifests are signed with */
  signingKeyId: 'signing_key_id',
  /** JSON list of versions whose chunks are retained on the broker */
  retainedVersions: 'retained_versions',
  /** JSON of the model shape/config version 1 was created with */
  modelConfig: 'model_config',
  /** JSON list of external item ids (index = dense id), when central was given one */
  catalog: 'catalog',
} as const;

/**
 * The `kv` table: small singletons as JSON text.
 *
 * @example
 * kv.set(KV_KEYS.activeVersion, 3);
 * kv.get<number>(KV_KEYS.activeVersion); // 3
 */
export class KvStore {
  private readonly getStmt;
  private readonly setStmt;

  constructor(db: Database) {
    this.getStmt = db.prepare<[string], { value: string }>('SELECT value FROM kv WHERE key = ?');
    this.setStmt = db.prepare(
      'INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
  }

  get<T>(key: string): T | null {
    const row = this.getStmt.get(key);
    return row ? (JSON.parse(row.value) as T) : null;
  }

  set(key: string, value: unknown): void {
    this.setStmt.run(key, JSON.stringify(value));
  }
}
