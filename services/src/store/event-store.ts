import type { Db } from './open-database.js';
import { SeenItemsCache } from './seen-items-cache.js';

/** An event as the ingest path hands it to the store (item already mapped to its dense index). */
export interface NewEvent {
  eventId: string;
  user: string;
  item: string;
  itemIdx: number;
  type: string;
  weight: number;
  ts: number;
}

/** A committed event; `seq` orders the log, `committedAt` is the edge clock at COMMIT. */
export interface StoredEvent extends NewEvent {
  seq: number;
  committedAt: number;
}

/** Per-event result of {@link EventStore.insertBatch}, aligned with the input. */
export type InsertOutcome =
  | { status: 'accepted'; seq: number }
  | { status: 'duplicate' }
  | { status: 'rejected'; code: string; message: string };

/** Decides whether a not-yet-stored event may be stored; a rejection reason or null. */
export type AdmitFn = (e: NewEvent) => { code: string; message: string } | null;

export interface InsertResult {
  outcomes: InsertOutcome[];
  accepted: number;
  duplicates: number;
  rejected: number;
}

interface EventRow {
  seq: number;
  event_id: string;
  user: string;
  item: string;
  item_idx: number;
  type: string;
  weight: number;
  ts: number;
  committed_at: number;
}

const toEvent = (r: EventRow): StoredEvent => ({
  seq: r.seq, eventId: r.event_id, user: r.user, item: r.item, itemIdx: r.item_idx,
  type: r.type, weight: r.weight, ts: r.ts, committedAt: r.committed_at,
});

/**
 * The durable event log of an edge. `seq` is monotonic (AUTOINCREMENT) so the learner can
 * consume it with a watermark; `event_id` is unique so a re-sent event is a duplicate.
 *
 * @example
 * const events = new EventStore(db);
 * const r = events.insertBatch([{ eventId: 'e1', user: 'u1', item: 'i3', itemIdx: 3, type: 'click', weight: 0.5, ts: 0 }], Date.now());
 * r.outcomes[0]; // { status: 'accepted', seq: 1 }
 */
export class EventStore {
  private readonly insert;
  private readonly exists;
  private readonly existing;
  private readonly byUser;
  private readonly itemsByUser;
  private readonly removeByUser;
  private readonly pending;
  private readonly maxSeqStmt;
  private readonly countStmt;
  private readonly popularityStmt;
  private readonly insertTx;
  private readonly db: Db;
  /** per-user seen items for serving (see seenItems) */
  private readonly seen: SeenItemsCache;

  constructor(db: Db, seenCacheUsers = 10_000) {
    this.db = db;
    this.insert = db.prepare(`INSERT INTO events (event_id, user, item, item_idx, type, weight, ts, committed_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.exists = db.prepare('SELECT 1 FROM events WHERE event_id = ?').pluck();
    this.existing = db.prepare('SELECT event_id FROM events WHERE event_id IN (SELECT value FROM json_each(?))').pluck();
    this.byUser = db.prepare('SELECT * FROM (SELECT * FROM events WHERE user = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq');
    this.itemsByUser = db.prepare('SELECT DISTINCT item_idx FROM events WHERE user = ?').pluck();
    this.seen = new SeenItemsCache(seenCacheUsers, (user) => this.itemsOfUser(user));
    this.removeByUser = db.prepare('DELETE FROM events WHERE user = ? RETURNING item_idx, weight');
    this.pending = db.prepare('SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?');
    this.maxSeqStmt = db.prepare("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)").pluck();
    this.countStmt = db.prepare('SELECT COUNT(*) FROM events').pluck();
    this.popularityStmt = db.prepare('SELECT item_idx AS itemIdx, SUM(weight) AS weight FROM events GROUP BY item_idx');
    this.insertTx = db.transaction((events: readonly NewEvent[], committedAt: number, admit?: AdmitFn): InsertResult => {
      const outcomes: InsertOutcome[] = [];
      let accepted = 0;
      let duplicates = 0;
      // One lookup for the whole batch (a query per event cost a fifth of the commit path); the
      // set then also holds this batch's own inserts, so the same eventId twice in one batch is
      // one accepted event and one duplicate.
      const stored = new Set(this.existing.all(JSON.stringify(events.map((e) => e.eventId))) as string[]);
      for (const e of events) {
        if (stored.has(e.eventId)) {
          outcomes.push({ status: 'duplicate' });
          duplicates++;
          continue;
        }
        const refusal = admit?.(e);
        if (refusal) {
          outcomes.push({ status: 'rejected', ...refusal });
          continue;
        }
        const r = this.insert.run(e.eventId, e.user, e.item, e.itemIdx, e.type, e.weight, e.ts, committedAt);
        stored.add(e.eventId);
        outcomes.push({ status: 'accepted', seq: Number(r.lastInsertRowid) });
        accepted++;
      }
      return { outcomes, accepted, duplicates, rejected: events.length - accepted - duplicates };
    });
  }

  /**
   * Stores a batch in one transaction: every accepted event is durable when this returns.
   * Already-stored eventIds are duplicates (not re-stored); `admit` may refuse the rest.
   */
  insertBatch(events: readonly NewEvent[], committedAt: number, admit?: AdmitFn): InsertResult {
    const r = this.insertTx(events, committedAt, admit);
    if (r.accepted > 0) {
      const stored = events.filter((_, i) => r.outcomes[i].status === 'accepted');
      // Inside a caller's transaction the rows are only stored once it commits: see confirmSeen.
      if (this.db.inTransaction) this.seen.addPending(stored);
      else this.seen.added(stored);
    }
    return r;
  }

  /**
   * The caller's transaction around `insertBatch` committed (true) or rolled back (false):
   * the seen-items cache takes the batch's items, or forgets them. A caller that never says
   * leaves them unknown, and the users concerned are reloaded from the log on their next read.
   */
  confirmSeen(committed: boolean): void {
    if (committed) this.seen.confirm();
    else this.seen.discard();
  }

  /**
   * The items the user has events for (what a recommendation excludes), from an in-memory
   * per-user cache (10,000 users by default) kept current by this store's writes; the same
   * as `new Set(itemsOfUser(user))`. Read-only: the set is shared with later calls.
   */
  seenItems(user: string): ReadonlySet<number> {
    return this.seen.get(user, this.db.inTransaction);
  }

  has(eventId: string): boolean {
    return this.exists.get(eventId) !== undefined;
  }

  /** The user's newest `limit` events, oldest first. */
  listByUser(user: string, limit = 1000): StoredEvent[] {
    return (this.byUser.all(user, limit) as EventRow[]).map(toEvent);
  }

  /** Dense indices of every item the user has an event for (applied or not). */
  itemsOfUser(user: string): number[] {
    return this.itemsByUser.all(user) as number[];
  }

  /** Deletes the user's events; returns what was removed (for popularity bookkeeping). */
  deleteByUser(user: string): { itemIdx: number; weight: number }[] {
    this.seen.delete(user);
    return (this.removeByUser.all(user) as { item_idx: number; weight: number }[]).map((r) => ({
      itemIdx: r.item_idx,
      weight: r.weight,
    }));
  }

  /** Up to `limit` events with seq > `seq`, in log order: the learner's work queue. */
  pendingAfter(seq: number, limit: number): StoredEvent[] {
    return (this.pending.all(seq, limit) as EventRow[]).map(toEvent);
  }

  /** Highest seq ever assigned (0 when none), even if that event was since erased. */
  maxSeq(): number {
    return this.maxSeqStmt.get() as number;
  }

  count(): number {
    return this.countStmt.get() as number;
  }

  /** Sum of event weights per item over the whole log. */
  popularity(): { itemIdx: number; weight: number }[] {
    return this.popularityStmt.all() as { itemIdx: number; weight: number }[];
  }
}
