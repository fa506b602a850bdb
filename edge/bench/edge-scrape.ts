import { bucketsBetween, histogramBuckets, histogramQuantile, type HistogramBuckets } from './prometheus-histogram.js';
import { round3 } from './percentiles.js';

/** One scrape of an edge's `/metrics`: what a bench phase is measured between. */
export interface EdgeSnapshot {
  /** performance.now() of the scrape */
  at: number;
  /** `GET /v1/recommendations` 200s, cumulative request-duration buckets */
  recs: HistogramBuckets;
  cpuSeconds: number;
  /** event-loop delay since the previous scrape (prom-client resets its histogram at each collect) */
  eldP99Seconds: number;
  eldMaxSeconds: number;
  /** Σ of every GC pause so far, and how many */
  gcSeconds: number;
  gcCount: number;
}

/** The edge process between two scrapes, as it measured itself. */
export interface EdgeStats {
  /** CPU of the whole edge process (every thread), in cores */
  cpu_cores: number;
  /** its event-loop delay: how late it got to ready callbacks (requests included) */
  eld_p99_ms: number;
  eld_max_ms: number;
  /** GC pause time per second of the phase, and pauses per second */
  gc_ms_per_s: number;
  gc_per_s: number;
}

/** Latency as the edge itself measured it (its request histogram): handler time, no queueing before it. */
export interface ServerSideLatency {
  p50_ms: number;
  p99_ms: number;
  requests: number;
}

/**
 * Value of the sample `name` whose labels include `labels` (the first such line), NaN when absent.
 *
 * @example
 * sampleValue('process_cpu_seconds_total 1.5\n', 'process_cpu_seconds_total'); // 1.5
 */
export function sampleValue(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{')) continue;
    if (!wanted.every((w) => line.includes(w))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return NaN;
}

/** Σ of every sample named `name` (all label sets). */
function sampleSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/**
 * Snapshot of an edge's metrics from the Prometheus text of its `/metrics`.
 *
 * @example
 * const s = edgeSnapshot(await (await fetch(`${url}/metrics`)).text());
 */
export function edgeSnapshot(text: string, at = performance.now()): EdgeSnapshot {
  return {
    at,
    recs: histogramBuckets(text, 'edgerec_http_request_duration_seconds', { route: '/v1/recommendations', status: '200' }),
    cpuSeconds: sampleValue(text, 'process_cpu_seconds_total'),
    eldP99Seconds: sampleValue(text, 'nodejs_eventloop_lag_p99_seconds'),
    eldMaxSeconds: sampleValue(text, 'nodejs_eventloop_lag_max_seconds'),
    gcSeconds: sampleSum(text, 'nodejs_gc_duration_seconds_sum'),
    gcCount: sampleSum(text, 'nodejs_gc_duration_seconds_count'),
  };
}

/** Scrapes `${url}/metrics`. */
export async function scrapeEdge(url: string): Promise<EdgeSnapshot> {
  return edgeSnapshot(await (await fetch(`${url}/metrics`)).text());
}

const ms = (seconds: number) => (Number.isFinite(seconds) ? round3(seconds * 1000) : NaN);

/**
 * What the edge did between two snapshots (its event-loop delay is the later one's: the
 * histogram restarts at every scrape).
 *
 * @example
 * const stats = edgeStatsBetween(before, after); // { cpu_cores: 0.61, eld_p99_ms: 4.2, … }
 */
export function edgeStatsBetween(before: EdgeSnapshot, after: EdgeSnapshot): EdgeStats {
  const seconds = Math.max(1e-9, (after.at - before.at) / 1000);
  return {
    cpu_cores: round3((after.cpuSeconds - before.cpuSeconds) / seconds),
    eld_p99_ms: ms(after.eldP99Seconds), eld_max_ms: ms(after.eldMaxSeconds),
    gc_ms_per_s: round3(((after.gcSeconds - before.gcSeconds) * 1000) / seconds),
    gc_per_s: round3((after.gcCount - before.gcCount) / seconds),
  };
}

/** The recommendation requests timed inside the edge between two snapshots. */
export function serverSideBetween(before: EdgeSnapshot, after: EdgeSnapshot): ServerSideLatency {
  const b = bucketsBetween(before.recs, after.recs);
  return {
    p50_ms: round3(histogramQuantile(b, 0.5) * 1000), p99_ms: round3(histogramQuantile(b, 0.99) * 1000),
    requests: b.at(-1)?.count ?? 0,
  };
}
