import type { Database } from 'better-sqlite3';
import { AuditLogStore } from './audit-log-store.js';
import { KvStore } from './kv-store.js';
import { ModelRegistryStore } from './model-registry-store.js';
import { NodeEvalsStore } from './node-evals-store.js';
import { NodesStore } from './nodes-store.js';
import { openDatabase } from './open-database.js';
import { ReceivedDeltasStore } from './received-deltas-store.js';
import { RoundsStore } from './rounds-store.js';
import { StrategyStateStore } from './strategy-state-store.js';

/**
 * Central's SQLite state, one module per table, over one connection. `transaction`
 * runs multi-step writes atomically (better-sqlite3 transactions are synchronous, so
 * no await may happen inside).
 *
 * @example
 * const store = openCentralStore(join(dataDir, 'central.sqlite'));
 * store.transaction(() => { store.deltas.insert(d); store.nodes.recordDelta(d.nodeId, now); });
 */
export class CentralStore {
  readonly rounds: RoundsStore;
  readonly deltas: ReceivedDeltasStore;
  readonly registry: ModelRegistryStore;
  readonly nodes: NodesStore;
  readonly evals: NodeEvalsStore;
  readonly strategyState: StrategyStateStore;
  readonly audit: AuditLogStore;
  readonly kv: KvStore;

  constructor(readonly db: Database) {
    this.rounds = new RoundsStore(db);
    this.deltas = new ReceivedDeltasStore(db);
    this.registry = new ModelRegistryStore(db);
    this.nodes = new NodesStore(db);
    this.evals = new NodeEvalsStore(db);
    this.strategyState = new StrategyStateStore(db);
    this.audit = new AuditLogStore(db);
    this.kv = new KvStore(db);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** Opens the file (WAL, migrated) and wraps it. */
export function openCentralStore(file: string): CentralStore {
  return new CentralStore(openDatabase(file));
}
