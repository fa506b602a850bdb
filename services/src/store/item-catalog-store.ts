import type { Db } from './open-database.js';

/**
 * External item id ↔ dense row index of the model. The global model defines the catalog:
 * rows are appended when a model with more items arrives, never renumbered, so stored
 * events (which keep both the id and the index) stay valid.
 *
 * @example
 * const catalog = new ItemCatalogStore(db);
 * catalog.append(['i0', 'i1']);
 * catalog.loadAll(); // ['i0', 'i1']: index = position
 */
export class ItemCatalogStore {
  private readonly allStmt;
  private readonly insertStmt;
  private readonly countStmt;
  private readonly appendTx;

  constructor(db: Db) {
    this.allStmt = db.prepare('SELECT item_id FROM items ORDER BY idx').pluck();
    this.insertStmt = db.prepare('INSERT INTO items (idx, item_id) VALUES (?, ?)');
    this.countStmt = db.prepare('SELECT COUNT(*) FROM items').pluck();
    this.appendTx = db.transaction((ids: readonly string[]) => {
      let idx = this.count();
      for (const id of ids) this.insertStmt.run(idx++, id);
      return idx;
    });
  }

  /** Every item id, position = dense index. */
  loadAll(): string[] {
    return this.allStmt.all() as string[];
  }

  /** Appends ids after the current last index, in one transaction; returns the new size. Throws on a repeated id. */
  append(ids: readonly string[]): number {
    return this.appendTx(ids);
  }

  count(): number {
    return this.countStmt.get() as number;
  }
}
