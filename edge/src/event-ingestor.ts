import { createHash } from 'node:crypto';
import { DomainError, type ErrorBody, type EventIn, type EventsAccepted, type RejectedEvent } from '@edgerec/proto-schemas';
import type { EdgeDatabase, InsertOutcome, NewEvent, StoredEvent } from '@edgerec/services/store';
import type { EdgeMetrics } from './edge-metrics.js';
import { eventWeight } from './event-weights.js';
import type { ItemCatalog } from './item-catalog.js';
import type { PerUserRateLimiter } from './per-user-rate-limiter.js';
import type { PopularityIndex } from './popularity-index.js';

export interface EventIngestorDeps {
  edb: EdgeDatabase;
  catalog: ItemCatalog;
  limiter: PerUserRateLimiter;
  popularity: PopularityIndex;
  metrics?: EdgeMetrics;
  clock: () => number;
  /** called after a commit that stored events, with them in seq order (hands them to the learner) */
  onCommitted: (events: StoredEvent[]) => void;
  /** how long an Idempotency-Key is remembered (default 1 h) */
  idempotencyTtlMs?: number;
}

/** The HTTP answer to one ingest request. */
export interface IngestOutcome {
  status: 202 | 422 | 429;
  body: EventsAccepted | ErrorBody;
  /** true when the body is a stored response replayed for a repeated Idempotency-Key */
  replayed: boolean;
}

export interface IngestRequest {
  events: readonly EventIn[];
  idempotencyKey?: string;
  /** the raw request body, hashed to tell a retry from a different request under the same key */
  rawBody?: string;
}

/** SHA-256 hex of a request body, the identity an Idempotency-Key is bound to. */
export const bodyHash = (raw: string): string => createHash('sha256').update(raw).digest('hex');

/**
 * The durable ingest path: data-quality filter (unknown items, per-user rate limit,
 * duplicate eventIds), one transaction for the batch and its Idempotency-Key record, then
 * popularity, metrics and a learner wake-up. Returns only after COMMIT, so a 202 means the
 * accepted events are on disk. When nothing of a request could be stored the request is
 * refused as a whole (429 when every event was rate-limited, else 422), changing nothing.
 *
 * @example
 * const out = ingestor.ingest({ events: [{ eventId: 'e1', user: 'u1', item: 'i3', type: 'click' }] });
 * out.status; // 202
 * out.body;   // { accepted: 1, duplicates: 0, rejected: [] }
 */
export class EventIngestor {
  private lastPruneAt = -Infinity;
  private readonly ttl: number;

  constructor(private readonly deps: EventIngestorDeps) {
    this.ttl = deps.idempotencyTtlMs ?? 3_600_000;
  }

  /**
   * `ingest`, resolving only once an accepted batch survives what the durability setting
   * promises (the group fsync of `EdgeDatabase.durable`): what every acknowledging caller
   * (HTTP 202, device ack) must wait for.
   */
  async ingestDurably(req: IngestRequest): Promise<IngestOutcome> {
    const out = this.ingest(req);
    if (out.status === 202) await this.deps.edb.durable();
    return out;
  }

  /** Throws `DomainError('idempotency_conflict', 409)` for a reused key with a different body. */
  ingest(req: IngestRequest): IngestOutcome {
    const { edb, catalog, limiter, clock } = this.deps;
    const key = req.idempotencyKey;
    const hash = key === undefined ? '' : bodyHash(req.rawBody ?? JSON.stringify(req.events));
    if (key !== undefined) {
      const prior = edb.idempotency.get(key);
      if (prior && prior.createdAt >= clock() - this.ttl) {
        if (prior.bodyHash !== hash) {
          throw new DomainError('idempotency_conflict', 409, 'Idempotency-Key was already used with a different body');
        }
        return { status: prior.status as 202, body: JSON.parse(prior.response) as EventsAccepted, replayed: true };
      }
    }
    const now = clock();
    const outcomes: (InsertOutcome | undefined)[] = new Array(req.events.length);
    const known: NewEvent[] = [];
    const knownAt: number[] = [];
    req.events.forEach((e, i) => {
      const itemIdx = catalog.indexOf(e.item);
      if (itemIdx === undefined) {
        outcomes[i] = { status: 'rejected', code: 'unknown_item', message: `item "${e.item}" is not in the catalog` };
        return;
      }
      known.push({ eventId: e.eventId, user: e.user, item: e.item, itemIdx, type: e.type, weight: eventWeight(e), ts: e.ts ?? now });
      knownAt.push(i);
    });
    const admit = (e: NewEvent) =>
      limiter.take(e.user) ? null : { code: 'rate_limited', message: `user "${e.user}" is over ${limiter.limit.perSecond} events/s` };
    const result = this.inTransaction(() => {
      const r = edb.events.insertBatch(known, now, admit);
      r.outcomes.forEach((o, j) => (outcomes[knownAt[j]] = o));
      const response = this.response(req.events, outcomes as InsertOutcome[]);
      if (key !== undefined && response.status === 202) {
        edb.idempotency.save(key, { bodyHash: hash, status: 202, response: JSON.stringify(response.body), createdAt: now });
      }
      // Pruning only on success: a refused request leaves the database exactly as it was.
      if (response.status === 202 && now - this.lastPruneAt > 60_000) {
        edb.idempotency.pruneBefore(now - this.ttl);
        this.lastPruneAt = now;
      }
      return response;
    });
    this.afterCommit(known, outcomes as InsertOutcome[], knownAt, now);
    return result;
  }

  /** Runs `fn` in one transaction and tells the event store's seen-items cache whether it committed. */
  private inTransaction<T>(fn: () => T): T {
    const { edb } = this.deps;
    let out: T;
    try {
      out = edb.transaction(fn);
    } catch (e) {
      edb.events.confirmSeen(false);
      throw e;
    }
    edb.events.confirmSeen(true);
    return out;
  }

  private response(events: readonly EventIn[], outcomes: InsertOutcome[]): IngestOutcome {
    const rejected: RejectedEvent[] = [];
    let accepted = 0;
    let duplicates = 0;
    outcomes.forEach((o, i) => {
      if (o.status === 'accepted') accepted++;
      else if (o.status === 'duplicate') duplicates++;
      else rejected.push({ eventId: events[i].eventId, code: o.code, message: o.message });
    });
    if (accepted + duplicates > 0 || rejected.length === 0) {
      return { status: 202, body: { accepted, duplicates, rejected }, replayed: false };
    }
    const allLimited = rejected.every((r) => r.code === 'rate_limited');
    const shown = rejected.slice(0, 3).map((r) => `${r.eventId}: ${r.code} (${r.message})`).join('; ');
    const more = rejected.length > 3 ? `; and ${rejected.length - 3} more` : '';
    return {
      status: allLimited ? 429 : 422,
      body: { error: { code: allLimited ? 'rate_limited' : rejected[0].code, message: `no event stored: ${shown}${more}` } },
      replayed: false,
    };
  }

  private afterCommit(known: NewEvent[], outcomes: InsertOutcome[], knownAt: number[], committedAt: number): void {
    const { metrics, popularity } = this.deps;
    const stored: StoredEvent[] = [];
    known.forEach((e, j) => {
      const o = outcomes[knownAt[j]];
      if (o.status === 'accepted') {
        popularity.add(e.itemIdx, e.weight);
        stored.push({ ...e, seq: o.seq, committedAt });
      }
    });
    const accepted = stored.length;
    if (metrics) {
      for (const o of outcomes) {
        if (o.status === 'duplicate') metrics.eventsDuplicate.inc();
        else if (o.status === 'rejected') metrics.eventsRejected.inc({ reason: o.code });
      }
      metrics.eventsIngested.inc(accepted);
    }
    if (accepted > 0) this.deps.onCommitted(stored);
  }
}
