import { defaultModelConfig } from '@edgerec/services/model';
import { hasMosquitto } from '@edgerec/services/bus';
import { startLoopbackCluster, type BrokerKind } from './loopback-cluster.js';
import { round3, sig4, summarize, type StageSummary } from './series-stats.js';
import { measureRound, type RoundMeasurement } from './sync-round-probe.js';

export interface SyncLatencyBenchOptions {
  /** edge processes (default 3) */
  edges?: number;
  /** measured rounds (default 5; quick: 3) */
  rounds?: number;
  /** catalog size (default 1682, ml-100k's; quick: 400) */
  items?: number;
  /** embedding dimension (default 64; quick: 16) */
  dim?: number;
  /** events posted at every edge per round (default 20; quick: 10) */
  events?: number;
  /** default embedded (`edgerec broker`, aedes, MQTT 3.1.1); mosquitto needs the binary (MQTT 5) */
  broker?: BrokerKind;
  /** rounds run first and left out of the figures: JIT, first SQLite pages, first TCP connections (default 1) */
  warmup?: number;
  /** polling pause for central's and the edges' model versions (default 5 ms) */
  pollMs?: number;
  quick?: boolean;
  /** keep the temp dir (SQLite files, logs) after the run */
  keepDir?: boolean;
}

const STAGES = ['t_ack', 't_learned', 't_delta', 't_promoted', 't_all_edges'] as const;

export interface SyncLatencyBenchResult {
  config: {
    edges: number; rounds: number; items: number; dim: number; events_per_edge: number; broker: BrokerKind; mqtt_protocol: 4 | 5;
    warmup_rounds: number; poll_ms: number; durability: 'power'; backend: 'typed-array';
  };
  /** how each stage is observed and which fixed timers could bound the latency */
  method: string[];
  rounds: RoundMeasurement[];
  /** the warm-up rounds, not in any figure below */
  warmup: RoundMeasurement[];
  stages: Record<(typeof STAGES)[number], StageSummary>;
  /** event posted → every edge serves the version that learned from it */
  e2e_p50_ms: number;
  e2e_p95_ms: number;
  bytes: {
    /** float32 itemEmb + itemBias + adapter: what shipping the dense model costs once */
    dense_model_bytes: number;
    per_round: {
      up_per_edge: number; up_total: number; up_dense_rows_total: number;
      down_per_edge: number; down_snapshot_per_edge: number; down_patch_per_edge: number; down_total: number;
      published_snapshot: number; published_patch: number | null;
    };
    /** the baseline: every edge ships a dense model up and gets a dense model down, each round */
    baseline_dense_per_round: { up_total: number; down_total: number };
    up_vs_dense_ratio: number;
    down_vs_dense_ratio: number;
    /** what the downlink would cost if edges took only the patch they can apply */
    patch_only_down_vs_dense_ratio: number | null;
  };
  seconds: number;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0);

/**
 * `edgerec bench sync-latency`: event → learned → delta → promoted → every edge serving,
 * across real processes on loopback (broker, `edgerec central`, N `edgerec edge`, SQLite
 * files in a temp dir). Rounds are driven explicitly — events at every edge, then
 * `POST /admin/sync` on each — with central's round deadline and the edges' sync interval
 * set to 10 min, so the figures measure the protocol, not a timer: a round closes when
 * every online edge reported. Also the bytes each round moves against shipping the dense
 * float32 model, measured in the same run.
 *
 * @example
 * const r = await runSyncLatencyBench({ quick: true });
 * r.e2e_p50_ms; r.stages.t_promoted.p95_ms; r.bytes.up_vs_dense_ratio;
 */
export async function runSyncLatencyBench(opts: SyncLatencyBenchOptions = {}): Promise<SyncLatencyBenchResult> {
  const quick = opts.quick === true;
  const edges = opts.edges ?? 3;
  const rounds = opts.rounds ?? (quick ? 3 : 5);
  const items = opts.items ?? (quick ? 400 : 1682);
  const dim = opts.dim ?? (quick ? 16 : 64);
  const events = opts.events ?? (quick ? 10 : 20);
  const broker = opts.broker ?? 'embedded';
  const pollMs = opts.pollMs ?? 5;
  const warmup = opts.warmup ?? 1;
  const started = performance.now();
  const timers = 600_000;
  const cluster = await startLoopbackCluster({ edges, items, dim, broker, roundIntervalMs: timers, syncIntervalMs: timers, logLevel: 'info' });
  const all: RoundMeasurement[] = [];
  let failed = true;
  try {
    for (let r = 1; r <= warmup + rounds; r++) {
      const m = await measureRound({ cluster, round: r, eventsPerEdge: events, items, pollMs, timeoutMs: 60_000 });
      all.push(m);
      const label = r <= warmup ? `warm-up ${r}/${warmup}` : `round ${r - warmup}/${rounds}`;
      process.stderr.write(`sync-latency ${label}: v${m.version} ack ${m.t_ack_ms} learned ${m.t_learned_ms} delta ${m.t_delta_ms} ` +
        `promoted ${m.t_promoted_ms} all-edges ${m.t_all_edges_ms} ms (${m.round_reason})\n`);
    }
    failed = false;
  } finally {
    await cluster.stop({ keepDir: failed || opts.keepDir === true });
    if (failed) process.stderr.write(`sync-latency: logs kept in ${cluster.logDir}\n`);
  }
  const measured = all.slice(warmup);

  const key = { t_ack: 't_ack_ms', t_learned: 't_learned_ms', t_delta: 't_delta_ms', t_promoted: 't_promoted_ms', t_all_edges: 't_all_edges_ms' } as const;
  const stages = Object.fromEntries(STAGES.map((s) => [s, summarize(measured.map((m) => m[key[s]]))])) as SyncLatencyBenchResult['stages'];
  const cfg = defaultModelConfig({ dim });
  const dense = 4 * (items * dim + items + 2 * dim * cfg.adapterRank + 1);
  const perEdge = measured.flatMap((m) => m.edges);
  const upTotal = mean(measured.map((m) => m.edges.reduce((s, e) => s + e.up_bytes, 0)));
  const downPerEdge = mean(perEdge.map((e) => e.down_snapshot_bytes + e.down_patch_bytes));
  const patches = measured.map((m) => m.patch_bytes).filter((p): p is number => p !== null);
  const patchMean = patches.length ? mean(patches) : null;
  return {
    config: {
      edges, rounds, items, dim, events_per_edge: events, broker, mqtt_protocol: cluster.broker.protocol, warmup_rounds: warmup, poll_ms: pollMs,
      durability: 'power', backend: 'typed-array',
    },
    method: [
      `each t_* is ms since the round's POST /v1/events went out, observed in a causal chain: 202 → /v1/learner?waitFor (long-poll) → ` +
        `POST /admin/sync answered (delta published, QoS 1 acked by the broker) → central /admin/sync activeVersion polled every ${pollMs} ms ` +
        `from the traced edge's sync answer on → every edge's /v1/model polled every ${pollMs} ms from the promotion on; a polled stage ` +
        `overstates its moment by at most one poll pause + one loopback request`,
      'edges[].counted_ms, t_closed_ms and t_candidate_ms are central\'s own timestamps (received_deltas.received_at, rounds.closed_at, ' +
        'model_registry.created_at; 1 ms resolution), outside the chain: a delta can be counted before its edge\'s sync answer arrives',
      `fixed timers, none in the measured path: central --round-interval-ms ${timers} (round deadline; rounds close on "every online ` +
        `edge reported", min-nodes ${edges}), edge --sync-interval-ms ${timers}; fallbacks that would bound latency if a message were lost: ` +
        'delta re-send after 2 s (doubling to 60 s), snapshot re-fetch 5 s after a manifest, POST /admin/sync waits ≤ 5 s for the publish',
      'bytes are MQTT payload bytes (chunk data) from the edges\' edgerec_sync_* counters, without MQTT/TCP framing',
    ],
    rounds: measured,
    warmup: all.slice(0, warmup),
    stages,
    e2e_p50_ms: stages.t_all_edges.p50_ms,
    e2e_p95_ms: stages.t_all_edges.p95_ms,
    bytes: {
      dense_model_bytes: dense,
      per_round: {
        up_per_edge: Math.round(mean(perEdge.map((e) => e.up_bytes))), up_total: Math.round(upTotal),
        up_dense_rows_total: Math.round(mean(measured.map((m) => m.edges.reduce((s, e) => s + e.up_dense_rows_bytes, 0)))),
        down_per_edge: Math.round(downPerEdge),
        down_snapshot_per_edge: Math.round(mean(perEdge.map((e) => e.down_snapshot_bytes))),
        down_patch_per_edge: Math.round(mean(perEdge.map((e) => e.down_patch_bytes))),
        down_total: Math.round(downPerEdge * edges),
        published_snapshot: Math.round(mean(measured.map((m) => m.snapshot_bytes))), published_patch: patchMean === null ? null : Math.round(patchMean),
      },
      baseline_dense_per_round: { up_total: dense * edges, down_total: dense * edges },
      up_vs_dense_ratio: sig4(upTotal / (dense * edges)),
      down_vs_dense_ratio: sig4(downPerEdge / dense),
      patch_only_down_vs_dense_ratio: patchMean === null ? null : sig4(patchMean / dense),
    },
    seconds: round3((performance.now() - started) / 1000),
  };
}

/** Whether `broker: 'mosquitto'` can run here. */
export const mosquittoAvailable = hasMosquitto;
