import type { Db } from './open-database.js';

/**
 * Small key/value settings of a node (id, region, seed, sync bookkeeping), JSON-encoded.
 *
 * @example
 * const config = new NodeConfigStore(db);
 * config.set('nodeId', 'edge-1');
 * config.get<string>('nodeId'); // 'edge-1'
 */
export class NodeConfigStore {
  private readonly getStmt;
  private readonly setStmt;
  private readonly deleteStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare('SELECT value FROM node_config WHERE key = ?').pluck();
    this.setStmt = db.prepare(
      'INSERT INTO node_config (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    this.deleteStmt = db.prepare('DELETE FROM node_config WHERE key = ?');
  }

  /** The stored value, or undefined when the key was never set. */
  get<T = unknown>(key: string): T | undefined {
    const raw = this.getStmt.get(key) as string | undefined;
    return raw === undefined ? undefined : (JSON.parse(raw) as T);
  }

  set(key: string, value: unknown): void {
    const json = JSON.stringify(value);
    if (json === undefined) throw new Error(`node config "${key}": value is not JSON-serializable`);
    this.setStmt.run(key, json);
  }

  delete(key: string): void {
    this.deleteStmt.run(key);
  }
}
