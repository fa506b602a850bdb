import type { UserState } from '@edgerec/services/model';

/**
 * Bounded LRU of user states the learner is working on. An entry is "dirty" from its first
 * update until the next checkpoint writes it; dirty entries are never evicted (evicting one
 * would lose updates the watermark already counts as applied), so when the cache is full of
 * dirty users the learner checkpoints and then evicts.
 *
 * @example
 * const cache = new UserStateCache(10_000);
 * cache.set('u1', state); cache.markDirty('u1');
 * for (const [user, s] of cache.dirtyEntries()) save(user, s);
 * cache.clearDirty();
 */
export class UserStateCache {
  private readonly entries = new Map<string, UserState>();
  private readonly dirty = new Set<string>();

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('user cache capacity must be ≥ 1');
  }

  get size(): number {
    return this.entries.size;
  }

  get dirtyCount(): number {
    return this.dirty.size;
  }

  /** The cached state, refreshed as most recently used. */
  get(user: string): UserState | undefined {
    const s = this.entries.get(user);
    if (s) {
      this.entries.delete(user);
      this.entries.set(user, s);
    }
    return s;
  }

  /** The cached state without touching recency (for readers such as serving). */
  peek(user: string): UserState | undefined {
    return this.entries.get(user);
  }

  set(user: string, state: UserState): void {
    this.entries.delete(user);
    this.entries.set(user, state);
  }

  markDirty(user: string): void {
    this.dirty.add(user);
  }

  /** Drops a user whatever its state (erasure). */
  delete(user: string): void {
    this.entries.delete(user);
    this.dirty.delete(user);
  }

  *dirtyEntries(): IterableIterator<[string, UserState]> {
    for (const user of this.dirty) {
      const s = this.entries.get(user);
      if (s) yield [user, s];
    }
  }

  clearDirty(): void {
    this.dirty.clear();
  }

  /** Evicts clean least-recently-used entries down to capacity; false when only dirty ones are left. */
  evictClean(): boolean {
    if (this.entries.size <= this.capacity) return true;
    for (const user of this.entries.keys()) {
      if (this.entries.size <= this.capacity) break;
      if (!this.dirty.has(user)) this.entries.delete(user);
    }
    return this.entries.size <= this.capacity;
  }

  clear(): void {
    this.entries.clear();
    this.dirty.clear();
  }
}
