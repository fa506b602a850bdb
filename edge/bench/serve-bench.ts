import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon, { type AutocannonResult } from 'autocannon';
import { SeededRandom } from '@edgerec/services/data';
import { spawnEdgeProcess } from '../src/spawn-edge-process.js';
import { type ClientStats, withClientStats } from './client-stats.js';
import { type EdgeSnapshot, type EdgeStats, edgeStatsBetween, scrapeEdge, type ServerSideLatency, serverSideBetween } from './edge-scrape.js';
import { startIngestLoad } from './ingest-load.js';
import type { IngestPosterResult } from './ingest-poster.js';
import { openLoopLoad, type OpenLoopResult } from './open-loop-load.js';
import { round3 } from './percentiles.js';
import { runScorerBench, type ScorerBenchResult } from './scorer-bench.js';

export type { ServerSideLatency } from './edge-scrape.js';

export interface ServeBenchOptions {
  items?: number;
  dim?: number;
  /** scorer queries (default 300) */
  queries?: number;
  /** duration of each HTTP phase in seconds (default 8) */
  seconds?: number;
  /** offered request rate of the HTTP phases (default 1000/s) */
  rate?: number;
  /** events/s ingested during the HTTP phases (default 500) */
  ingestRate?: number;
  /** seconds of unreported load at `rate` before the HTTP phases (default 2), so they measure a warmed-up edge */
  warmupSeconds?: number;
  /** skip the HTTP part */
  http?: boolean;
  /** when false, also print a short human summary on stderr */
  json?: boolean;
  seed?: number;
}

export interface HttpLatency {
  p50_ms: number;
  p99_ms: number;
  requests_per_s: number;
  offered_per_s: number;
  non2xx: number;
  errors: number;
  /** the load generator's own event-loop delay and CPU during the phase */
  client?: ClientStats;
  /** the edge process during the phase (CPU, event-loop delay, GC), from its /metrics */
  edge?: EdgeStats;
}

export interface ServeBenchResult extends ScorerBenchResult {
  items: number;
  dim: number;
  http?: HttpLatency;
  /** the same requests timed inside the edge, from /metrics scraped before and after */
  http_server_side?: ServerSideLatency;
  /** the same route and rate from an open-loop generator (Poisson arrivals, latency from the scheduled arrival) */
  http_open_loop?: OpenLoopResult & { server_side: ServerSideLatency; client: ClientStats; edge: EdgeStats };
  http_baseline?: HttpLatency & { route: string };
  /** the ingest load, posted from its own process (`process`), with that process's event-loop delay and CPU */
  ingest_during_http?: { events_per_s: number; failed: number; posts: number; process: 'child'; client: ClientStats };
}

const httpStats = (r: AutocannonResult, offered: number, client: ClientStats, edge: EdgeStats): HttpLatency => ({
  p50_ms: r.latency.p50, p99_ms: r.latency.p99, requests_per_s: round3(r.requests.average), offered_per_s: offered,
  non2xx: r.non2xx, errors: r.errors, client, edge,
});

/**
 * `edgerec bench serve`: (a) scorer top-10 latency vs a naive loop and a flat Float64
 * reference (see scorer-bench.ts); (b) HTTP p50/p99 and req/s of `GET /v1/recommendations`
 * with autocannon at a fixed offered rate against a real edge process on loopback, after
 * `warmupSeconds` of unreported load, while ~`ingestRate` events/s are ingested into it; baseline: `GET /healthz` at the
 * same rate in the same run (what HTTP + the framework cost without scoring). The same
 * requests are also reported as the edge timed them (`http_server_side`, from its request
 * histogram): the difference is queueing in front of the handler, on the edge's event loop
 * and on 2 cores shared with the load generator. autocannon paces each of its 16
 * connections on its own timer, so they fire together and measure bursts of 16; the route is
 * therefore also driven by an open-loop generator with Poisson arrivals at the same rate
 * (`http_open_loop`, latency from each scheduled arrival: no coordinated omission; plain
 * sockets, see raw-http-pool.ts). The ingest load runs in a process of its own (ingest-load.ts;
 * it used to be fetch calls in this process, whose GC pauses landed in the latencies), and every phase reports the
 * load generator's own event-loop delay and CPU (`client`) next to the edge's (`edge`): a p99
 * close to `client.eld_p99_ms` measured the client, not the edge.
 *
 * @example
 * const r = await runServeBench({ items: 50_000, dim: 64, seconds: 8 });
 * r.scorer.p99_ms; r.http?.p99_ms; r.http_baseline?.p99_ms;
 */
export async function runServeBench(opts: ServeBenchOptions = {}): Promise<ServeBenchResult> {
  const items = opts.items ?? 50_000;
  const dim = opts.dim ?? 64;
  const seed = opts.seed ?? 7;
  const result: ServeBenchResult = { items, dim, ...runScorerBench({ items, dim, queries: opts.queries ?? 300, seed }) };
  if (opts.http !== false) Object.assign(result, await httpBench(items, dim, opts, seed));
  if (opts.json === false) {
    process.stderr.write(
      `scorer p50 ${result.scorer.p50_ms} ms p99 ${result.scorer.p99_ms} ms | naive p50 ${result.baseline.p50_ms} ms ` +
        `(${result.speedup_vs_naive}x) | http p50 ${result.http?.p50_ms ?? '-'} ms p99 ${result.http?.p99_ms ?? '-'} ms ` +
        `${result.http?.requests_per_s ?? '-'} req/s | in the edge p99 ${result.http_server_side?.p99_ms ?? '-'} ms | ` +
        `open loop p50 ${result.http_open_loop?.p50_ms ?? '-'} p99 ${result.http_open_loop?.p99_ms ?? '-'} ms | ` +
        `healthz p99 ${result.http_baseline?.p99_ms ?? '-'} ms\n`,
    );
  }
  return result;
}

async function httpBench(items: number, dim: number, opts: ServeBenchOptions, seed: number) {
  const seconds = opts.seconds ?? 8;
  const rate = opts.rate ?? 1000;
  const ingestRate = opts.ingestRate ?? 500;
  const users = 500;
  const dir = mkdtempSync(join(tmpdir(), 'edgerec-serve-bench-'));
  const edge = await spawnEdgeProcess([
    '--id', 'bench', '--region', 'bench', '--port', '0', '--db', join(dir, 'edge.db'), '--items', String(items),
    '--dim', String(dim), '--seed', String(seed), '--rate-per-user', '1000000', '--log-level', 'warn',
  ]);
  let ingest: Awaited<ReturnType<typeof startIngestLoad>> | undefined;
  try {
    await warmUp(edge.url, items, users, seed);
    ingest = await startIngestLoad({ url: edge.url, eventsPerSecond: ingestRate, items, users, seed: seed + 1 });
    const userRng = new SeededRandom(seed + 2);
    const path = () => `/v1/recommendations?user=u${userRng.nextInt(users)}&k=10`;
    /** `run` between two scrapes of the edge, under a client-stats monitor */
    const phase = async <T>(before: EdgeSnapshot, run: () => Promise<T>) => {
      const [result, client] = await withClientStats(run);
      const after = await scrapeEdge(edge.url);
      return { result, client, after, edge: edgeStatsBetween(before, after) };
    };
    // Steady state, not the first seconds of a fresh process: the autocannon phase used to run
    // first, while the request path was still being compiled (edge CPU and event-loop delay
    // were higher in it than in the later phases at the same rate).
    const warmup = opts.warmupSeconds ?? 2;
    if (warmup > 0) await openLoopLoad({ url: edge.url, rate, seconds: warmup, seed: seed + 5, path });
    const start = await scrapeEdge(edge.url);
    const recs = await phase(start, () => autocannon({
      url: edge.url, connections: 16, duration: seconds, overallRate: rate,
      requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: path() }) }],
    }));
    const open = await phase(recs.after, () => openLoopLoad({ url: edge.url, rate, seconds, seed: seed + 3, path }));
    const health = await phase(open.after, () =>
      autocannon({ url: `${edge.url}/healthz`, connections: 16, duration: seconds, overallRate: rate }));
    const posted: IngestPosterResult = await ingest.stop();
    ingest = undefined;
    return {
      http: httpStats(recs.result, rate, recs.client, recs.edge),
      http_server_side: serverSideBetween(start, recs.after),
      http_open_loop: {
        ...open.result, server_side: serverSideBetween(recs.after, open.after), client: open.client, edge: open.edge,
      },
      http_baseline: { ...httpStats(health.result, rate, health.client, health.edge), route: 'GET /healthz' },
      ingest_during_http: {
        events_per_s: posted.events_per_s, failed: posted.failed, posts: posted.posts, process: 'child' as const, client: posted.client,
      },
    };
  } finally {
    await ingest?.stop().catch(() => undefined);
    edge.child.kill('SIGTERM');
    await edge.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every user gets a learned state first, so requests take the personalized path. */
async function warmUp(url: string, items: number, users: number, seed: number): Promise<void> {
  const rng = new SeededRandom(seed + 4);
  let next = 0;
  for (let b = 0; b < 10; b++) {
    const events = Array.from({ length: 200 }, () => ({
      eventId: `warm-${next++}`, user: `u${rng.nextInt(users)}`, item: `i${rng.nextInt(items)}`, type: 'click',
    }));
    const res = await fetch(`${url}/v1/events`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events }),
    });
    if (res.status !== 202) throw new Error(`warm-up ingest answered ${res.status}: ${await res.text()}`);
  }
  await (await fetch(`${url}/v1/learner?waitFor=2000&timeoutMs=30000`)).arrayBuffer();
}
