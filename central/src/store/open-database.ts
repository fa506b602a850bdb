import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { migrate } from './migrations.js';

/**
 * Opens (or creates) central's SQLite file in WAL mode and brings its schema up to date.
 * `synchronous = NORMAL` is durable across process crashes in WAL mode (only an OS crash
 * may lose the last transactions); pass `':memory:'` in unit tests.
 *
 * @example
 * const db = openDatabase(join(dataDir, 'central.sqlite'));
 */
export function openDatabase(file: string): Database {
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}
