import { generateSynthetic, type SyntheticOptions } from '@edgerec/services/data';
import { EdgeClient } from '../client/edge-client.js';
import { MemoryBufferStorage } from '../client/buffer-storage.js';

export interface FleetOptions {
  /** edge base URL per region label, e.g. { r0: 'http://127.0.0.1:8081' } */
  edges: Record<string, string>;
  synthetic: SyntheticOptions;
  kiosksPerRegion: number;
  /** total events per second across the fleet (0 = as fast as possible) */
  rate: number;
  /** stop after this many events or this many ms, whichever first (0 = no limit) */
  maxEvents: number;
  durationMs: number;
  /** ask for recommendations before every n-th event (1 = always) */
  recommendEvery: number;
  /** replay the stream again (with new event ids) when it runs out */
  loop?: boolean;
  onProgress?: (s: FleetStats) => void;
  signal?: AbortSignal;
}

export interface FleetStats {
  events_sent: number;
  events_pending: number;
  events_dropped: number;
  recommendation_requests: number;
  recommendation_errors: number;
  /** share of events whose item was among the k=10 items recommended just before */
  hit_rate_at_10: number;
  rec_p50_ms: number;
  rec_p99_ms: number;
  elapsed_s: number;
}

/**
 * A fleet of simulated kiosks: users are assigned to the edge of their region, and the
 * synthetic stream (time-ordered, optionally drifting) is replayed through the real SDK.
 * Before an event the kiosk shows recommendations; an event whose item was among them
 * counts as a hit (a click-through proxy).
 *
 * @example
 * const stats = await runFleet({ edges: { r0: url0 }, synthetic: { numRegions: 1 }, kiosksPerRegion: 2, rate: 200, maxEvents: 1000, durationMs: 0, recommendEvery: 1 });
 */
export async function runFleet(opts: FleetOptions): Promise<FleetStats> {
  const ds = generateSynthetic(opts.synthetic);
  const regions = Object.keys(opts.edges);
  const clients = new Map<string, EdgeClient[]>();
  let dropped = 0;
  for (const r of regions) {
    const list: EdgeClient[] = [];
    for (let k = 0; k < opts.kiosksPerRegion; k++) {
      list.push(await EdgeClient.open({ baseUrl: opts.edges[r], storage: new MemoryBufferStorage(), onDropped: (e) => (dropped += e.length) }));
    }
    clients.set(r, list);
  }
  const latencies: number[] = [];
  let sent = 0;
  let recs = 0;
  let recErrors = 0;
  let hits = 0;
  let shown = 0;
  const t0 = performance.now();
  const stats = (): FleetStats => {
    const sorted = latencies.slice().sort((a, b) => a - b);
    const pct = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0);
    let pending = 0;
    for (const list of clients.values()) for (const c of list) pending += c.pending;
    return {
      events_sent: sent,
      events_pending: pending,
      events_dropped: dropped,
      recommendation_requests: recs,
      recommendation_errors: recErrors,
      hit_rate_at_10: shown ? hits / shown : 0,
      rec_p50_ms: +pct(0.5).toFixed(3),
      rec_p99_ms: +pct(0.99).toFixed(3),
      elapsed_s: +((performance.now() - t0) / 1000).toFixed(2),
    };
  };
  let lastProgress = 0;
  for (let n = 0; ; n++) {
    if (n === ds.interactions.length) {
      if (!opts.loop || ds.interactions.length === 0) break;
      n = 0;
    }
    if (opts.signal?.aborted) break;
    if (opts.maxEvents && sent >= opts.maxEvents) break;
    const elapsed = performance.now() - t0;
    if (opts.durationMs && elapsed >= opts.durationMs) break;
    if (opts.rate > 0) {
      const due = (sent / opts.rate) * 1000;
      if (due > elapsed) await new Promise((r) => setTimeout(r, due - elapsed));
    }
    const it = ds.interactions[n];
    const region = ds.userRegion[it.user];
    const list = clients.get(region) ?? clients.get(regions[it.user % regions.length])!;
    const client = list[it.user % list.length];
    const user = ds.userIds[it.user];
    const item = ds.itemIds[it.item];
    if (opts.recommendEvery > 0 && n % opts.recommendEvery === 0) {
      const s = performance.now();
      try {
        const res = await client.recommendations({ user, k: 10 });
        latencies.push(performance.now() - s);
        recs++;
        shown++;
        if (res.items.some((x) => x.item === item)) hits++;
      } catch {
        recErrors++;
      }
    }
    await client.track({ user, item, type: 'click' });
    sent++;
    if (opts.onProgress && performance.now() - lastProgress > 250) {
      lastProgress = performance.now();
      opts.onProgress(stats());
    }
  }
  for (const list of clients.values()) await Promise.all(list.map((c) => c.flush()));
  for (const list of clients.values()) for (const c of list) c.close();
  return stats();
}
