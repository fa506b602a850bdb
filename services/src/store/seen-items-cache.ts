/**
 * Per-user sets of the items a user has events for (what a recommendation excludes), kept in
 * memory for the most recently asked `capacity` users so serving does not query the log per
 * request. The EventStore keeps it current: inserts that committed are added, an erased user
 * is dropped. Inserts made inside a caller's transaction are only known to be stored once that
 * transaction commits, so they wait in `pending` until the caller confirms (or discards) them;
 * pending entries nobody resolved are treated as unknown and their users reloaded.
 *
 * @example
 * const seen = new SeenItemsCache(10_000, (user) => events.itemsOfUser(user));
 * seen.get('u1').has(42);
 * seen.added([{ user: 'u1', itemIdx: 7 }]);
 */
export class SeenItemsCache {
  private readonly sets = new Map<string, Set<number>>();
  private pending: { user: string; itemIdx: number }[] = [];

  constructor(
    readonly capacity: number,
    private readonly load: (user: string) => number[],
  ) {
    if (!(capacity >= 1)) throw new RangeError('seen-items cache capacity must be ≥ 1');
  }

  get size(): number {
    return this.sets.size;
  }

  /** The user's items (read-only: shared with later calls); `inTransaction` = a caller's transaction is still open. */
  get(user: string, inTransaction = false): ReadonlySet<number> {
    if (this.pending.length > 0 && !inTransaction) this.forgetPending();
    let s = this.sets.get(user);
    if (s) {
      this.sets.delete(user); // most recently used last
    } else {
      s = new Set(this.load(user));
      if (this.sets.size >= this.capacity) this.sets.delete(this.sets.keys().next().value as string);
    }
    this.sets.set(user, s);
    return s;
  }

  /** Committed inserts: their items join the users' cached sets. */
  added(items: readonly { user: string; itemIdx: number }[]): void {
    for (const { user, itemIdx } of items) this.sets.get(user)?.add(itemIdx);
  }

  /** Inserts inside a caller's transaction: applied by `confirm`, dropped by `discard`. */
  addPending(items: readonly { user: string; itemIdx: number }[]): void {
    for (const it of items) this.pending.push(it);
  }

  /** The caller's transaction committed. */
  confirm(): void {
    const p = this.pending;
    this.pending = [];
    this.added(p);
  }

  /** The caller's transaction rolled back. */
  discard(): void {
    this.pending = [];
  }

  /** Drops a user's set (erasure): the next `get` reads the log. */
  delete(user: string): void {
    this.sets.delete(user);
  }

  /** Inserts whose transaction's fate is unknown: their users are reloaded from the log. */
  private forgetPending(): void {
    for (const { user } of this.pending) this.sets.delete(user);
    this.pending = [];
  }
}
