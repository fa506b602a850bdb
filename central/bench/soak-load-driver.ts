import { SeededRandom } from '@edgerec/services/data';

export interface LoadDriverOptions {
  edges: readonly { id: string; url: string }[];
  /** concurrent kiosk loops, spread round-robin over the edges */
  devices: number;
  /** events per second over all devices (each event follows one recommendation request) */
  rate: number;
  items: number;
  /** users per edge */
  users: number;
  seed: number;
  /** per-request bound, so a stalled edge shows up as errors instead of a frozen driver */
  timeoutMs?: number;
}

/** Counters of the driver so far. */
export interface LoadCounts {
  /** events posted (one per request) */
  sent: number;
  /** events answered 202 with accepted or duplicate: the edge promised to keep them */
  acked: number;
  /** answered with another status (429, 4xx, 5xx): not stored by contract */
  refused: number;
  /** no answer (connection error, timeout): may or may not be stored */
  errors: number;
  recommendations: number;
  recommendation_errors: number;
}

/**
 * The soak's load, in this process over HTTP so every acknowledged event id is known:
 * `devices` kiosk loops share one open-loop schedule (event n is due at n / rate s) and
 * each does `GET /v1/recommendations` (timed: the serving latency a client sees), then
 * `POST /v1/events` with one event. Users live on one edge each; items are skewed toward a
 * popular head (u² sampling), as in real catalogs.
 *
 * @example
 * const d = new LoadDriver({ edges, devices: 6, rate: 100, items: 1682, users: 300, seed: 7 });
 * d.start(); … d.takeWindow(); … await d.stop();
 */
export class LoadDriver {
  /** acknowledged / attempted event ids per edge id */
  readonly acked = new Map<string, Set<string>>();
  readonly attempted = new Map<string, Set<string>>();
  private readonly counts: LoadCounts = { sent: 0, acked: 0, refused: 0, errors: 0, recommendations: 0, recommendation_errors: 0 };
  private window: number[] = [];
  private readonly all: number[] = [];
  private next = 0;
  private t0 = 0;
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(private readonly opts: LoadDriverOptions) {
    for (const e of opts.edges) {
      this.acked.set(e.id, new Set());
      this.attempted.set(e.id, new Set());
    }
  }

  start(): void {
    this.running = true;
    this.t0 = performance.now();
    this.loops = Array.from({ length: this.opts.devices }, (_, d) => this.device(d));
  }

  /** Stops scheduling and waits for every request in flight. */
  async stop(): Promise<LoadCounts> {
    this.running = false;
    await Promise.all(this.loops);
    return this.snapshot();
  }

  snapshot(): LoadCounts {
    return { ...this.counts };
  }

  /** Recommendation latencies (ms) since the previous call. */
  takeWindow(): number[] {
    const w = this.window;
    this.window = [];
    return w;
  }

  /** Every recommendation latency of the run (ms). */
  latencies(): number[] {
    return this.all.slice();
  }

  private async device(d: number): Promise<void> {
    const { edges, rate, items, users, seed } = this.opts;
    const edge = edges[d % edges.length];
    const rng = new SeededRandom(seed * 1000 + d);
    const timeout = this.opts.timeoutMs ?? 10_000;
    while (this.running) {
      const n = this.next++;
      const wait = this.t0 + (n / rate) * 1000 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (!this.running) return;
      const user = `s${edge.id.slice(-2)}-u${rng.nextInt(users)}`;
      const item = `i${Math.floor(items * rng.nextFloat() ** 2)}`;
      const started = performance.now();
      try {
        const res = await fetch(`${edge.url}/v1/recommendations?user=${user}&k=10`, { signal: AbortSignal.timeout(timeout) });
        await res.arrayBuffer();
        if (res.ok) {
          const ms = performance.now() - started;
          this.window.push(ms);
          this.all.push(ms);
          this.counts.recommendations++;
        } else this.counts.recommendation_errors++;
      } catch {
        this.counts.recommendation_errors++;
      }
      const eventId = `soak-${seed}-${n}`;
      this.attempted.get(edge.id)!.add(eventId);
      this.counts.sent++;
      try {
        const res = await fetch(`${edge.url}/v1/events`, {
          method: 'POST', headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(timeout),
          body: JSON.stringify({ eventId, user, item, type: 'click' }),
        });
        const body = (await res.json()) as { accepted?: number; duplicates?: number };
        if (res.status === 202 && (body.accepted ?? 0) + (body.duplicates ?? 0) === 1) {
          this.acked.get(edge.id)!.add(eventId);
          this.counts.acked++;
        } else this.counts.refused++;
      } catch {
        this.counts.errors++;
      }
    }
  }
}
