import type { StoredEvent } from '@edgerec/services/store';

/** Most handed-over events waiting at once; past it the oldest are read back from the log (bounded memory). */
export const MAX_QUEUED = 200_000;

/**
 * Committed events the ingest path handed to the learner: one contiguous run of seqs
 * [`from`, `upTo`] (from 0 = no run), minus erased users' events. A seq gap (events stored
 * some other way) starts a new run; what precedes the run is the log's to deliver.
 *
 * @example
 * const q = new HandoverQueue();
 * q.push(committed);         // in seq order
 * while (q.peek()) learn(q.take()!);
 */
export class HandoverQueue {
  private readonly events: StoredEvent[] = [];
  private head = 0;
  /** first seq of the run, 0 without one */
  from = 0;
  /** last seq of the run */
  upTo = 0;

  get size(): number {
    return this.events.length - this.head;
  }

  push(events: readonly StoredEvent[]): void {
    for (const ev of events) {
      if (this.from === 0 || ev.seq !== this.upTo + 1) this.startRun(ev.seq);
      this.events.push(ev);
      this.upTo = ev.seq;
    }
    if (this.size > MAX_QUEUED) {
      this.head = this.events.length - MAX_QUEUED;
      this.from = this.events[this.head].seq;
      this.compact();
    }
  }

  /** The next event, removed; undefined when empty. */
  take(): StoredEvent | undefined {
    if (this.head >= this.events.length) return undefined;
    const ev = this.events[this.head++];
    if (this.head > 4096 && this.head * 2 > this.events.length) this.compact();
    return ev;
  }

  /** Drops a user's queued events (erasure: they are gone from the log too). */
  removeUser(user: string): void {
    const kept = this.events.slice(this.head).filter((ev) => ev.user !== user);
    this.events.length = 0;
    this.events.push(...kept);
    this.head = 0;
  }

  /** Forgets the run: everything is read from the log again. */
  clear(): void {
    this.events.length = 0;
    this.head = 0;
    this.from = 0;
  }

  private startRun(seq: number): void {
    this.events.length = 0;
    this.head = 0;
    this.from = seq;
  }

  private compact(): void {
    this.events.splice(0, this.head);
    this.head = 0;
  }
}
