import {
  ErrorBody,
  EventsAccepted,
  MAX_BATCH_EVENTS,
  RecommendationsResponse,
  type EventIn,
  type RejectedEvent,
} from '@edgerec/proto-schemas';
import { MemoryBufferStorage, type BufferStorage } from './buffer-storage.js';

/** Per-event rejection codes worth retrying later; every other code drops the event. */
const RETRYABLE_CODES = new Set(['rate_limited', 'overloaded', 'unavailable']);

export interface EdgeClientOptions {
  /** edge base URL, e.g. http://127.0.0.1:8081 */
  baseUrl: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
  storage?: BufferStorage;
  /** oldest events are dropped (and reported) beyond this many buffered events */
  maxBuffered?: number;
  backoff?: { initialMs: number; maxMs: number };
  /** id factory for client-side eventIds */
  newId?: () => string;
  /** called for events the edge refused for good (bad item, invalid) or the buffer dropped */
  onDropped?: (events: RejectedEvent[]) => void;
  /** schedule a retry; injectable for tests */
  setTimer?: (fn: () => void, ms: number) => unknown;
}

export interface RecommendationsRequest {
  user: string;
  k?: number;
  explain?: boolean;
  explore?: number;
}

/** A response the client could not use: HTTP error body, timeout, or an unexpected shape. */
export class EdgeClientError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'EdgeClientError';
  }
}

export type TrackInput = Omit<EventIn, 'eventId'> & { eventId?: string };

/**
 * Typed client for kiosks and apps (Node ≥ 18 and browsers). Events get a client-side
 * `eventId`, go to a persisted offline buffer first, and are drained in batches with
 * exponential backoff while the edge is unreachable; the edge dedupes by eventId, so a
 * batch re-sent after a lost response is never applied twice.
 *
 * @example
 * const client = await EdgeClient.open({ baseUrl: 'http://127.0.0.1:8081', storage: new FileBufferStorage('buf.json') });
 * await client.track({ user: 'u1', item: 'i42', type: 'click' });
 * const recs = await client.recommendations({ user: 'u1', k: 5 });
 */
export class EdgeClient {
  private buffer: EventIn[] = [];
  private flushing: Promise<FlushResult> | null = null;
  private retryDelay: number;
  private retryTimer: unknown = null;
  private closed = false;
  private readonly opts: Required<Omit<EdgeClientOptions, 'onDropped'>> & Pick<EdgeClientOptions, 'onDropped'>;

  private constructor(opts: EdgeClientOptions) {
    this.opts = {
      timeoutMs: 2000,
      fetch: globalThis.fetch.bind(globalThis),
      storage: new MemoryBufferStorage(),
      maxBuffered: 10_000,
      backoff: { initialMs: 200, maxMs: 30_000 },
      newId: () => globalThis.crypto.randomUUID(),
      setTimer: (fn, ms) => setTimeout(fn, ms),
      ...opts,
      baseUrl: opts.baseUrl.replace(/\/+$/, ''),
    };
    this.retryDelay = this.opts.backoff.initialMs;
  }

  /** Creates a client and restores its offline buffer. */
  static async open(opts: EdgeClientOptions): Promise<EdgeClient> {
    const client = new EdgeClient(opts);
    client.buffer = await client.opts.storage.load();
    return client;
  }

  /** Events buffered and not yet acknowledged by the edge. */
  get pending(): number {
    return this.buffer.length;
  }

  async recommendations(req: RecommendationsRequest): Promise<RecommendationsResponse> {
    const q = new URLSearchParams({ user: req.user, k: String(req.k ?? 10) });
    if (req.explain) q.set('explain', '1');
    if (req.explore !== undefined) q.set('explore', String(req.explore));
    const res = await this.request(`/v1/recommendations?${q}`, { method: 'GET' });
    return parseOrThrow(RecommendationsResponse, await this.json(res), res.status);
  }

  /**
   * Buffers one event durably (resolves once it is in storage) and starts a drain; the
   * event reaches the edge now or, if the edge is unreachable, on a later retry.
   */
  async track(input: TrackInput): Promise<string> {
    if (this.closed) throw new EdgeClientError('closed', 'client is closed');
    const event: EventIn = { ...input, eventId: input.eventId ?? this.opts.newId(), ts: input.ts ?? Date.now() };
    this.buffer.push(event);
    if (this.buffer.length > this.opts.maxBuffered) {
      const dropped = this.buffer.splice(0, this.buffer.length - this.opts.maxBuffered);
      this.opts.onDropped?.(dropped.map((e) => ({ eventId: e.eventId, code: 'buffer_full', message: 'offline buffer full' })));
    }
    await this.opts.storage.save(this.buffer);
    void this.flush().catch(() => {});
    return event.eventId;
  }

  /** Sends buffered events in batches until the buffer is empty or the edge is unreachable. */
  flush(): Promise<FlushResult> {
    if (!this.flushing) this.flushing = this.drain().finally(() => (this.flushing = null));
    return this.flushing;
  }

  /** Stops retrying; buffered events stay in storage for the next `open`. */
  close(): void {
    this.closed = true;
  }

  private async drain(): Promise<FlushResult> {
    let sent = 0;
    while (this.buffer.length > 0 && !this.closed) {
      const batch = this.buffer.slice(0, MAX_BATCH_EVENTS);
      let ack: EventsAccepted;
      try {
        const res = await this.request('/v1/events', { method: 'POST', body: JSON.stringify({ events: batch }) }, [202]);
        ack = parseOrThrow(EventsAccepted, await this.json(res), res.status);
      } catch (e) {
        if (e instanceof EdgeClientError && e.status !== undefined && e.status >= 400 && e.status < 500 && e.status !== 429 && e.status !== 408) {
          // The edge refuses the whole batch for good (e.g. invalid body): drop it, never loop.
          this.opts.onDropped?.(batch.map((ev) => ({ eventId: ev.eventId, code: e.code, message: e.message })));
          await this.remove(new Set(batch.map((ev) => ev.eventId)));
          continue;
        }
        this.scheduleRetry();
        return { sent, remaining: this.buffer.length };
      }
      const retry = new Set(ack.rejected.filter((r) => RETRYABLE_CODES.has(r.code)).map((r) => r.eventId));
      const dropped = ack.rejected.filter((r) => !RETRYABLE_CODES.has(r.code));
      if (dropped.length) this.opts.onDropped?.(dropped);
      await this.remove(new Set(batch.map((ev) => ev.eventId).filter((id) => !retry.has(id))));
      sent += batch.length - retry.size;
      if (retry.size > 0) {
        this.scheduleRetry();
        return { sent, remaining: this.buffer.length };
      }
      this.retryDelay = this.opts.backoff.initialMs;
    }
    return { sent, remaining: this.buffer.length };
  }

  private async remove(ids: Set<string>): Promise<void> {
    this.buffer = this.buffer.filter((e) => !ids.has(e.eventId));
    await this.opts.storage.save(this.buffer);
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== null || this.closed) return;
    const delay = this.retryDelay * (0.5 + Math.random() * 0.5);
    this.retryDelay = Math.min(this.retryDelay * 2, this.opts.backoff.maxMs);
    this.retryTimer = this.opts.setTimer(() => {
      this.retryTimer = null;
      void this.flush().catch(() => {});
    }, delay);
    if (typeof this.retryTimer === 'object' && this.retryTimer && 'unref' in this.retryTimer) {
      (this.retryTimer as { unref(): void }).unref();
    }
  }

  private async request(path: string, init: RequestInit, okStatuses: number[] = [200]): Promise<Response> {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), this.opts.timeoutMs);
    let res: Response;
    try {
      res = await this.opts.fetch(`${this.opts.baseUrl}${path}`, {
        ...init,
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        signal: ctl.signal,
      });
    } catch (e) {
      const timedOut = ctl.signal.aborted;
      throw new EdgeClientError(timedOut ? 'timeout' : 'unreachable', timedOut ? `no answer in ${this.opts.timeoutMs} ms` : (e as Error).message);
    } finally {
      clearTimeout(timer);
    }
    if (!okStatuses.includes(res.status)) {
      const body = ErrorBody.safeParse(await this.json(res).catch(() => null));
      const err = body.success ? body.data.error : { code: `http_${res.status}`, message: res.statusText };
      throw new EdgeClientError(err.code, err.message, res.status);
    }
    return res;
  }

  private async json(res: Response): Promise<unknown> {
    try {
      return await res.json();
    } catch {
      throw new EdgeClientError('bad_response', `edge answered ${res.status} with a body that is not JSON`, res.status);
    }
  }
}

export interface FlushResult {
  sent: number;
  remaining: number;
}

function parseOrThrow<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: Error } }, value: unknown, status: number): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new EdgeClientError('bad_response', `unexpected response shape: ${r.error.message}`, status);
  return r.data;
}
