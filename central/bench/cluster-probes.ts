import { readFileSync } from 'node:fs';
import { DomainError } from '@edgerec/proto-schemas';

/** Every probe request is bounded: a hung process fails the bench with its URL, not a silent stall. */
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * GET (or `init`) a JSON answer; a non-2xx status is `DomainError('bench_http', 502)` naming
 * the URL and the body.
 *
 * @example
 * const m = await getJson<{ version: number }>(`${edgeUrl}/v1/model`);
 */
export async function getJson<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const text = await res.text();
  if (!res.ok) throw new DomainError('bench_http', 502, `${init?.method ?? 'GET'} ${url}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** POST a JSON body (or none); returns status and parsed body whatever the status. */
export async function postJson<T>(url: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    method: 'POST', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/** Prometheus text exposition of `url` (an edge's or central's /metrics). */
export async function scrape(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  if (!res.ok) throw new DomainError('bench_http', 502, `GET ${url}: ${res.status}`);
  return res.text();
}

/**
 * Sum of the samples of metric `name` in a Prometheus text exposition, over every label set
 * that contains `labels` (0 when absent: prom-client omits unlabelled counters never set).
 *
 * @example
 * metricSum('a_total{kind="patch"} 3\na_total{kind="snapshot"} 5\n', 'a_total', { kind: 'patch' }); // 3
 */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  const re = new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`, 'gm');
  for (const m of text.matchAll(re)) {
    const set = m[1] ?? '';
    if (Object.entries(labels).every(([k, v]) => set.includes(`${k}="${v}"`))) sum += Number(m[2]);
  }
  return sum;
}

export interface PollOptions {
  /** pause between probes (the resolution of the observed time) */
  everyMs: number;
  timeoutMs: number;
}

/**
 * Calls `probe` until it returns a truthy value; resolves with it and `at` (performance.now()
 * when that answer came back). A failed probe counts as "not yet". Throws after `timeoutMs`.
 *
 * @example
 * const { at } = await pollUntil('v2 on edge', async () => (await getJson(url)).version >= 2, { everyMs: 5, timeoutMs: 30_000 });
 */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  opts: PollOptions,
): Promise<{ value: T; at: number }> {
  const deadline = performance.now() + opts.timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return { value: v, at: performance.now() };
    } catch (e) {
      last = e;
    }
    if (performance.now() > deadline) {
      const why = last instanceof Error ? `: ${last.message}` : '';
      throw new DomainError('bench_timeout', 504, `timed out after ${opts.timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, opts.everyMs));
  }
}

/**
 * Resident set size of process `pid` in bytes, from /proc/<pid>/status (VmRSS); null when
 * the process is gone or /proc is not there (not Linux).
 *
 * @example
 * readRssBytes(process.pid); // e.g. 85_000_000
 */
export function readRssBytes(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}
