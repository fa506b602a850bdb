import { SeededRandom } from '@edgerec/services/data';
import { percentile, round3 } from './percentiles.js';
import { rawHttpPool } from './raw-http-pool.js';

export interface OpenLoopOptions {
  /** base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  /** path of the i-th request */
  path: (i: number) => string;
  /** mean arrival rate, requests/s */
  rate: number;
  seconds: number;
  /** keep-alive sockets at most (default 64; requests beyond wait for one, and that wait counts) */
  connections?: number;
  seed?: number;
}

export interface OpenLoopResult {
  /** latency from each request's scheduled arrival to its response's end: queueing anywhere counts */
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  /** the same, from when the request was actually written (leaves out the generator's own lateness) */
  from_send_p99_ms: number;
  offered_per_s: number;
  completed_per_s: number;
  non2xx: number;
  errors: number;
  arrivals: 'poisson';
}

/**
 * An open-loop load generator: requests arrive at Poisson times at `rate` whatever the server
 * does (as many independent clients do), and latency counts from the scheduled arrival, so a
 * stalled server cannot hide its stall by slowing the generator down (no coordinated
 * omission). autocannon's `overallRate` instead paces each connection on its own timer: its
 * 16 connections fire together, and requests that arrive 16 at a time measure the burst.
 * Requests go over {@link rawHttpPool} (plain keep-alive sockets): Node's http client took
 * twice the CPU, which on 2 shared cores is CPU taken from the server being measured.
 *
 * @example
 * const r = await openLoopLoad({ url, path: (i) => `/v1/recommendations?user=u${i % 500}`, rate: 1000, seconds: 8 });
 * r.p99_ms;
 */
export async function openLoopLoad(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const pool = rawHttpPool(o.url, o.connections ?? 64);
  const rng = new SeededRandom(o.seed ?? 1);
  const total = Math.max(1, Math.round(o.rate * o.seconds));
  const latency = new Float64Array(total);
  const fromSend = new Float64Array(total);
  let done = 0;
  let non2xx = 0;
  let errors = 0;
  const started = performance.now();
  let due = 0;
  let sent = 0;
  await new Promise<void>((resolve) => {
    const fire = (i: number, intended: number) => {
      const sentAt = performance.now();
      pool.get(o.path(i), (status) => {
        const now = performance.now();
        latency[i] = now - intended;
        fromSend[i] = now - sentAt;
        if (status === 0) errors++;
        else if (status < 200 || status >= 300) non2xx++;
        if (++done === total) resolve();
      });
    };
    // A 1 ms tick sends every request whose arrival time has come; its lateness is part of
    // the measured latency (from the scheduled arrival), never hidden.
    const tick = () => {
      const now = performance.now() - started;
      while (sent < total && due <= now) {
        fire(sent, started + due);
        sent++;
        due += (-Math.log(1 - rng.nextFloat()) / o.rate) * 1000;
      }
      if (sent < total) setTimeout(tick, Math.max(0, Math.min(1, due - now)));
    };
    tick();
  });
  const seconds = (performance.now() - started) / 1000;
  pool.close();
  return {
    p50_ms: round3(percentile(latency, 0.5)), p99_ms: round3(percentile(latency, 0.99)), max_ms: round3(percentile(latency, 1)),
    from_send_p99_ms: round3(percentile(fromSend, 0.99)), offered_per_s: o.rate, completed_per_s: round3(done / seconds),
    non2xx, errors, arrivals: 'poisson',
  };
}
