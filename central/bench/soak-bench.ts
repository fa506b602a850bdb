import { statSync } from 'node:fs';
import { createProgress } from '../src/cli/progress.js';
import { metricSum, readRssBytes, scrape } from './cluster-probes.js';
import { startLoopbackCluster, type BrokerKind } from './loopback-cluster.js';
import { memoryVerdicts, type MemoryVerdict } from './memory-trend.js';
import { percentile, round3 } from './series-stats.js';
import { drainAndAccount, type SoakAccounting } from './soak-accounting.js';
import { LoadDriver, type LoadCounts } from './soak-load-driver.js';

export interface SoakBenchOptions {
  /** how long the load runs (fractional allowed: 0.2 = 12 s) */
  minutes: number;
  /** edge processes (default 3) */
  edges?: number;
  /** concurrent kiosk loops (default 2 per edge) */
  devices?: number;
  /** events per second over all devices, each after one recommendation request (default 100, as `edgerec start`) */
  rate?: number;
  seed?: number;
  /** catalog size (default 1682) */
  items?: number;
  /** users per edge (default 300) */
  users?: number;
  dim?: number;
  /** central's round deadline (default 15 000 ms, as `edgerec start`) */
  roundIntervalMs?: number;
  /** least time between round openings (default 5 000 ms, as `edgerec start`) */
  minRoundIntervalMs?: number;
  /** edges' interval trigger (default 10 000 ms, as `edgerec start`) */
  syncIntervalMs?: number;
  /**
   * round policy minSamples, set through PUT /admin/policy before the load (default: unset, so
   * edges answer a round as soon as it opens and rounds run back to back under load)
   */
  minSamples?: number;
  /** sampling period (default 5 s, at most a sixth of the run) */
  sampleEveryS?: number;
  broker?: BrokerKind;
  keepDir?: boolean;
}

/** p99 target of a recommendation request on an edge (docs/goals). */
const SERVING_P99_GOAL_MS = 5;

export interface SoakSample {
  t_s: number;
  rss_mb: Record<string, number | null>;
  rec_p50_ms: number | null;
  rec_p99_ms: number | null;
  recommendations: number;
  events_acked: number;
  central_version: number;
  rounds_promoted: number;
}

export interface SoakBenchResult {
  config: Required<Omit<SoakBenchOptions, 'keepDir' | 'broker' | 'minSamples'>> & { broker: BrokerKind; min_nodes: number; minSamples: number | null };
  /** how the figures are taken */
  method: string[];
  samples: SoakSample[];
  memory: Record<string, MemoryVerdict>;
  /** every cluster process flat; the driver (this process) is left out: it keeps every acked id, so it grows by design */
  memory_flat: boolean;
  serving: {
    goal_p99_ms: number; p50_ms: number; p99_ms: number; within_goal: boolean;
    windows_within_goal: number; windows: number; requests: number; errors: number;
  };
  events: LoadCounts & { accounted: number; lost: number; duplicated: number; unexpected: number; events_per_s: number };
  rounds: { promoted: number; by_outcome: Record<string, number>; final_version: number };
  /** SQLite file + WAL per process at the end: the registry keeps every version's snapshot and patch */
  disk_mb: Record<string, number>;
  accounting: SoakAccounting;
  converged: boolean;
  seconds: number;
}

async function centralRounds(url: string): Promise<{ version: number; byOutcome: Record<string, number> }> {
  const text = await scrape(`${url}/metrics`);
  const byOutcome: Record<string, number> = {};
  for (const o of ['promoted', 'rejected', 'insufficient', 'abandoned', 'superseded']) byOutcome[o] = metricSum(text, 'edgerec_central_rounds_total', { outcome: o });
  return { version: metricSum(text, 'edgerec_central_model_version'), byOutcome };
}

const fileMb = (path: string): number =>
  round3(['', '-wal'].reduce((s, ext) => s + (statSync(`${path}${ext}`, { throwIfNoEntry: false })?.size ?? 0), 0) / 2 ** 20);

/**
 * `edgerec bench soak --minutes N`: the whole system under steady load for N minutes — a
 * broker, `edgerec central` and N `edgerec edge` processes on loopback, rounds on central's
 * interval, a kiosk load from this process — sampling every few seconds each process's RSS
 * (/proc/<pid>/status), the recommendation p50/p99 the clients saw and the events acked.
 * Then it stops the load, syncs everything out and does the books: acked events stored once
 * (SQLite, read-only), learners caught up, deltas counted once by central, edges converged.
 * A progress line per sample goes to stderr (a bar on a terminal).
 *
 * @example
 * const r = await runSoakBench({ minutes: 2 });
 * r.memory_flat; r.serving.p99_ms; r.events.lost; r.converged;
 */
export async function runSoakBench(opts: SoakBenchOptions): Promise<SoakBenchResult> {
  const edges = opts.edges ?? 3;
  const config = {
    minutes: opts.minutes, edges, devices: opts.devices ?? 2 * edges, rate: opts.rate ?? 100, seed: opts.seed ?? 7,
    items: opts.items ?? 1682, users: opts.users ?? 300, dim: opts.dim ?? 64, roundIntervalMs: opts.roundIntervalMs ?? 15_000,
    minRoundIntervalMs: opts.minRoundIntervalMs ?? 5_000,
    syncIntervalMs: opts.syncIntervalMs ?? 10_000, sampleEveryS: opts.sampleEveryS ?? Math.min(5, (opts.minutes * 60) / 6),
    broker: opts.broker ?? 'embedded', min_nodes: Math.max(1, edges - 1), minSamples: opts.minSamples ?? null,
  };
  const started = performance.now();
  const cluster = await startLoopbackCluster({
    edges, items: config.items, dim: config.dim, broker: config.broker, roundIntervalMs: config.roundIntervalMs,
    minRoundIntervalMs: config.minRoundIntervalMs, syncIntervalMs: config.syncIntervalMs, minNodes: config.min_nodes, logLevel: 'info',
  });
  let failed = true;
  try {
    if (config.minSamples !== null) {
      await cluster.admin('/admin/policy', {
        method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ minSamples: config.minSamples, reason: 'soak bench' }),
      });
    }
    const driver = new LoadDriver({ edges: cluster.edges, devices: config.devices, rate: config.rate, items: config.items, users: config.users, seed: config.seed });
    const durationMs = config.minutes * 60_000;
    const progress = createProgress('soak', Math.round(durationMs / 1000));
    const tty = process.stderr.isTTY === true;
    const samples: SoakSample[] = [];
    const procs = [...cluster.processes(), { name: 'driver', pid: process.pid }];
    const sample = async (t0: number) => {
      const window = driver.takeWindow();
      const c = await centralRounds(cluster.central.url).catch(() => ({ version: -1, byOutcome: { promoted: -1 } }));
      const counts = driver.snapshot();
      const s: SoakSample = {
        t_s: round3((performance.now() - t0) / 1000),
        rss_mb: Object.fromEntries(procs.map((p) => {
          const b = readRssBytes(p.pid);
          return [p.name, b === null ? null : round3(b / 2 ** 20)];
        })),
        rec_p50_ms: window.length ? round3(percentile(window, 0.5)) : null,
        rec_p99_ms: window.length ? round3(percentile(window, 0.99)) : null,
        recommendations: window.length, events_acked: counts.acked, central_version: c.version, rounds_promoted: c.byOutcome.promoted,
      };
      samples.push(s);
      const rss = Object.entries(s.rss_mb).map(([k, v]) => `${k} ${v?.toFixed(0) ?? '-'}`).join(' ');
      const info = { acked: s.events_acked, p99_ms: s.rec_p99_ms ?? '-', version: s.central_version, rss_mb: rss };
      if (tty) progress.update(Math.min(Math.round(durationMs / 1000), Math.round(s.t_s)), info);
      else process.stderr.write(`soak ${s.t_s.toFixed(0)}/${(durationMs / 1000).toFixed(0)} s: acked ${s.events_acked}, rec p50 ${s.rec_p50_ms} p99 ${s.rec_p99_ms} ms, v${s.central_version}, rss MB ${rss}\n`);
    };
    const t0 = performance.now();
    await sample(t0);
    driver.start();
    for (let k = 1; performance.now() - t0 < durationMs; k++) {
      const next = t0 + Math.min(durationMs, k * config.sampleEveryS * 1000);
      await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
      await sample(t0);
    }
    const counts = await driver.stop();
    const loadSeconds = (performance.now() - t0) / 1000;
    progress.stop();
    process.stderr.write('soak: load stopped; syncing out and accounting…\n');
    const accounting = await drainAndAccount(cluster, driver);
    const rounds = await centralRounds(cluster.central.url);
    const windows = samples.filter((s) => s.rec_p99_ms !== null);
    const all = driver.latencies();
    const p99 = all.length ? round3(percentile(all, 0.99)) : NaN;
    const memory = memoryVerdicts(samples);
    failed = false;
    return {
      config: { ...config },
      method: [
        'rss_mb: VmRSS from /proc/<pid>/status of each process (driver = this process, which keeps every acked id)',
        'rec_*_ms: client-side latency of GET /v1/recommendations?k=10 (fetch on loopback, in this process), per sample window and overall',
        'acked: POST /v1/events answered 202 with the event accepted (or a duplicate); the books read each edge\'s SQLite file read-only',
        `rounds on central's clock: --round-interval-ms ${config.roundIntervalMs} is a deadline; a round closes as soon as every online edge ` +
          `reported, and edges answer a round when it opens${config.minSamples === null ? '' : ` once they have ≥ ${config.minSamples} new samples`}`,
        'memory flat: second-half least-squares slope below flat_below_mb_per_min (1 MB/min or 2% of mean RSS per minute of window, whichever is larger)',
      ],
      samples,
      memory,
      memory_flat: Object.entries(memory).every(([name, m]) => name === 'driver' || m.flat),
      serving: {
        goal_p99_ms: SERVING_P99_GOAL_MS, p50_ms: all.length ? round3(percentile(all, 0.5)) : NaN, p99_ms: p99,
        within_goal: p99 <= SERVING_P99_GOAL_MS, windows_within_goal: windows.filter((s) => s.rec_p99_ms! <= SERVING_P99_GOAL_MS).length,
        windows: windows.length, requests: counts.recommendations, errors: counts.recommendation_errors,
      },
      events: {
        ...counts, accounted: accounting.accounted, lost: accounting.lost, duplicated: accounting.duplicated, unexpected: accounting.unexpected,
        events_per_s: round3(counts.acked / loadSeconds),
      },
      rounds: { promoted: rounds.byOutcome.promoted, by_outcome: rounds.byOutcome, final_version: rounds.version },
      disk_mb: Object.fromEntries([['central', cluster.central.dbPath], ...cluster.edges.map((e) => [e.id, e.dbPath])].map(([name, path]) => [name, fileMb(path)])),
      accounting,
      converged: accounting.converged,
      seconds: round3((performance.now() - started) / 1000),
    };
  } finally {
    await cluster.stop({ keepDir: failed || opts.keepDir === true });
    if (failed) process.stderr.write(`soak: logs kept in ${cluster.logDir}\n`);
  }
}
