import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon, { type AutocannonResult } from 'autocannon';
import { SeededRandom } from '@edgerec/services/data';
import { spawnEdgeProcess } from '../src/spawn-edge-process.js';
import { openLoopLoad, type OpenLoopResult } from './open-loop-load.js';
import { round3 } from './percentiles.js';
import { bucketsBetween, histogramBuckets, histogramQuantile, type HistogramBuckets } from './prometheus-histogram.js';
import { runScorerBench, type ScorerBenchResult } from './scorer-bench.js';

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
}

/** Latency as the edge itself measured it (its request histogram): handler time, no queueing before it. */
export interface ServerSideLatency {
  p50_ms: number;
  p99_ms: number;
  requests: number;
}

export interface ServeBenchResult extends ScorerBenchResult {
  items: number;
  dim: number;
  http?: HttpLatency;
  /** the same requests timed inside the edge, from /metrics scraped before and after */
  http_server_side?: ServerSideLatency;
  /** the same route and rate from an open-loop generator (Poisson arrivals, latency from the scheduled arrival) */
  http_open_loop?: OpenLoopResult & { server_side: ServerSideLatency };
  http_baseline?: HttpLatency & { route: string };
  ingest_during_http?: { events_per_s: number; failed: number };
}

const httpStats = (r: AutocannonResult, offered: number): HttpLatency => ({
  p50_ms: r.latency.p50, p99_ms: r.latency.p99, requests_per_s: round3(r.requests.average), offered_per_s: offered,
  non2xx: r.non2xx, errors: r.errors,
});

/**
 * `edgerec bench serve`: (a) scorer top-10 latency vs a naive loop and a flat Float64
 * reference (see scorer-bench.ts); (b) HTTP p50/p99 and req/s of `GET /v1/recommendations`
 * with autocannon at a fixed offered rate against a real edge process on loopback, while
 * this process ingests ~`ingestRate` events/s into it; baseline: `GET /healthz` at the
 * same rate in the same run (what HTTP + the framework cost without scoring). The same
 * requests are also reported as the edge timed them (`http_server_side`, from its request
 * histogram): the difference is queueing in front of the handler, on the edge's event loop
 * and on 2 cores shared with the load generator. autocannon paces each of its 16
 * connections on its own timer, so they fire together and measure bursts of 16; the route is
 * therefore also driven by an open-loop generator with Poisson arrivals at the same rate
 * (`http_open_loop`, latency from each scheduled arrival: no coordinated omission).
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

const serverSide = (b: HistogramBuckets): ServerSideLatency => ({
  p50_ms: round3(histogramQuantile(b, 0.5) * 1000), p99_ms: round3(histogramQuantile(b, 0.99) * 1000), requests: b.at(-1)?.count ?? 0,
});

async function httpBench(items: number, dim: number, opts: ServeBenchOptions, seed: number) {
  const seconds = opts.seconds ?? 8;
  const rate = opts.rate ?? 1000;
  const ingestRate = opts.ingestRate ?? 500;
  const dir = mkdtempSync(join(tmpdir(), 'edgerec-serve-bench-'));
  const edge = await spawnEdgeProcess([
    '--id', 'bench', '--region', 'bench', '--port', '0', '--db', join(dir, 'edge.db'), '--items', String(items),
    '--dim', String(dim), '--seed', String(seed), '--rate-per-user', '1000000', '--log-level', 'warn',
  ]);
  const rng = new SeededRandom(seed + 1);
  const users = 500;
  let nextEvent = 0;
  const batch = (n: number) => ({
    events: Array.from({ length: n }, () => ({
      eventId: `ev-${nextEvent++}`, user: `u${rng.nextInt(users)}`, item: `i${rng.nextInt(items)}`, type: 'click',
    })),
  });
  const post = (body: unknown) =>
    fetch(`${edge.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  try {
    // Warm-up: every user gets a learned state, so requests take the personalized path.
    for (let i = 0; i < 10; i++) await post(batch(200));
    await fetch(`${edge.url}/v1/learner?waitFor=2000&timeoutMs=30000`);

    let accepted = 0;
    let failed = 0;
    const perTick = Math.max(1, Math.round(ingestRate / 50));
    const ingestStarted = performance.now();
    const ticker = setInterval(() => {
      post(batch(perTick)).then(
        async (r) => (r.status === 202 ? (accepted += ((await r.json()) as { accepted: number }).accepted) : failed++),
        () => failed++,
      );
    }, 20);
    const userRng = new SeededRandom(seed + 2);
    const scrape = async () => histogramBuckets(await (await fetch(`${edge.url}/metrics`)).text(),
      'edgerec_http_request_duration_seconds', { route: '/v1/recommendations', status: '200' });
    const before = await scrape();
    const recs = await autocannon({
      url: edge.url, connections: 16, duration: seconds, overallRate: rate,
      requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/v1/recommendations?user=u${userRng.nextInt(users)}&k=10` }) }],
    });
    const afterRecs = await scrape();
    const served = bucketsBetween(before, afterRecs);
    const openLoop = await openLoopLoad({
      url: edge.url, rate, seconds, seed: seed + 3, path: () => `/v1/recommendations?user=u${userRng.nextInt(users)}&k=10`,
    });
    const servedOpen = bucketsBetween(afterRecs, await scrape());
    const health = await autocannon({ url: `${edge.url}/healthz`, connections: 16, duration: seconds, overallRate: rate });
    clearInterval(ticker);
    const ingestSeconds = (performance.now() - ingestStarted) / 1000;
    return {
      http: httpStats(recs, rate),
      http_server_side: serverSide(served),
      http_open_loop: { ...openLoop, server_side: serverSide(servedOpen) },
      http_baseline: { ...httpStats(health, rate), route: 'GET /healthz' },
      ingest_during_http: { events_per_s: round3(accepted / ingestSeconds), failed },
    };
  } finally {
    edge.child.kill('SIGTERM');
    await edge.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}
