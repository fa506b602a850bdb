import { monitorEventLoopDelay } from 'node:perf_hooks';
import { round3 } from './percentiles.js';

/**
 * What a load generator's own process did while it measured: its event-loop delay (how late
 * its timers and socket callbacks ran: lateness that lands in the latencies it reports) and
 * the CPU it used, in cores. A p99 that sits near `eld_p99_ms` measured the client, not the server.
 * The delays include the sampling interval (see {@link clientStatsMonitor}).
 */
export interface ClientStats {
  eld_p50_ms: number;
  eld_p99_ms: number;
  eld_max_ms: number;
  cpu_cores: number;
}

/** A running measurement; `stop` ends it. */
export interface ClientStatsMonitor {
  stop(): ClientStats;
}

/**
 * Starts measuring this process's event-loop delay (sampled every `resolutionMs`, default 1;
 * the figures include that interval, so ≈ 1.1 ms at p50 means no delay) and CPU time. The
 * sampling timer wakes an otherwise idle process: at 1 ms that alone cost an idle poster
 * ~0.04 cores here.
 *
 * @example
 * const m = clientStatsMonitor();
 * await openLoopLoad(opts);
 * m.stop().eld_p99_ms;
 */
export function clientStatsMonitor(resolutionMs = 1): ClientStatsMonitor {
  const eld = monitorEventLoopDelay({ resolution: resolutionMs });
  eld.enable();
  const cpu = process.cpuUsage();
  const started = performance.now();
  return {
    stop() {
      eld.disable();
      const used = process.cpuUsage(cpu);
      const seconds = (performance.now() - started) / 1000;
      const ms = (ns: number) => (Number.isFinite(ns) ? round3(ns / 1e6) : 0);
      return {
        eld_p50_ms: ms(eld.percentile(50)), eld_p99_ms: ms(eld.percentile(99)), eld_max_ms: ms(eld.max),
        cpu_cores: seconds > 0 ? round3((used.user + used.system) / 1e6 / seconds) : 0,
      };
    },
  };
}

/**
 * Runs `fn` under a {@link clientStatsMonitor}.
 *
 * @example
 * const [result, client] = await withClientStats(() => openLoopLoad(opts));
 */
export async function withClientStats<T>(fn: () => Promise<T>): Promise<[T, ClientStats]> {
  const m = clientStatsMonitor();
  try {
    const result = await fn();
    return [result, m.stop()];
  } catch (e) {
    m.stop();
    throw e;
  }
}
