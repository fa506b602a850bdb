import { Agent, request } from 'node:http';
import { SeededRandom } from '@edgerec/services/data';
import { type ClientStats, clientStatsMonitor } from './client-stats.js';
import { round3 } from './percentiles.js';

export interface IngestPosterOptions {
  /** base URL of the edge, e.g. http://127.0.0.1:8080 */
  url: string;
  /** events per second (0 posts nothing) */
  eventsPerSecond: number;
  /** catalog size: items are `i0 … i{items-1}` */
  items: number;
  /** users are `u0 … u{users-1}` */
  users: number;
  seed?: number;
  /** one batch every `tickMs` (default 20 ms: 500 events/s are 50 posts of 10) */
  tickMs?: number;
  /** prefix of the generated eventIds (default `ld`), so they never collide with other writers' */
  eventIdPrefix?: string;
  /** called as each post settles: true for a 202 */
  onSettled?: (accepted: boolean) => void;
}

/** What an ingest poster did, and what it cost its own process. */
export interface IngestPosterResult {
  /** events the edge answered 202 for (its `accepted` count) */
  accepted: number;
  /** posts answered with anything but 202, or that failed on the socket */
  failed: number;
  posts: number;
  seconds: number;
  events_per_s: number;
  /** the poster's own event-loop delay and CPU while it ran */
  client: ClientStats;
}

/** A running poster; `stop` stops posting, waits for the posts in flight and reports. */
export interface IngestPoster {
  stop(): Promise<IngestPosterResult>;
}

/**
 * Posts synthetic click events to `POST /v1/events` at a fixed rate: every `tickMs` one batch
 * of `eventsPerSecond × tickMs / 1000` events, whatever the edge answers (a slow edge does not
 * slow the ingest down). Built on `http.request` with keep-alive sockets and a hand-built
 * body: fetch (undici) allocated enough per post that its GC pauses, up to 13 ms, landed in
 * the latencies a load generator sharing the process measured. Benchmarks run it in its own
 * process (`startIngestLoad`), so neither side stalls the other.
 *
 * @example
 * const poster = startIngestPoster({ url, eventsPerSecond: 500, items: 50_000, users: 500 });
 * // … measure something …
 * const { accepted, failed } = await poster.stop();
 */
export function startIngestPoster(o: IngestPosterOptions): IngestPoster {
  const target = new URL(o.url);
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const rng = new SeededRandom(o.seed ?? 1);
  const tickMs = o.tickMs ?? 20;
  const perTick = o.eventsPerSecond > 0 ? Math.max(1, Math.round((o.eventsPerSecond * tickMs) / 1000)) : 0;
  const prefix = o.eventIdPrefix ?? 'ld';
  // 5 ms sampling: the poster is idle between posts, and a 1 ms timer would wake it 1,000 times a second.
  const monitor = clientStatsMonitor(5);
  let next = 0;
  let accepted = 0;
  let failed = 0;
  let posts = 0;
  let inFlight = 0;
  let drained: (() => void) | null = null;
  const settle = (ok: boolean) => {
    if (!ok) failed++;
    o.onSettled?.(ok);
    if (--inFlight === 0) drained?.();
  };
  const post = () => {
    let body = '{"events":[';
    for (let i = 0; i < perTick; i++) {
      body += `${i ? ',' : ''}{"eventId":"${prefix}-${next++}","user":"u${rng.nextInt(o.users)}","item":"i${rng.nextInt(o.items)}","type":"click"}`;
    }
    body += ']}';
    posts++;
    inFlight++;
    const req = request({
      host: target.hostname, port: target.port, path: '/v1/events', method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        if (res.statusCode === 202) accepted += (JSON.parse(text) as { accepted: number }).accepted;
        settle(res.statusCode === 202);
      });
      res.on('error', () => settle(false));
    });
    req.on('error', () => settle(false));
    req.end(body);
  };
  const started = performance.now();
  const timer = perTick > 0 ? setInterval(post, tickMs) : undefined;
  return {
    async stop() {
      clearInterval(timer);
      const seconds = (performance.now() - started) / 1000;
      const client = monitor.stop();
      if (inFlight > 0) await new Promise<void>((r) => (drained = r));
      agent.destroy();
      return { accepted, failed, posts, seconds: round3(seconds), events_per_s: round3(accepted / seconds), client };
    },
  };
}
