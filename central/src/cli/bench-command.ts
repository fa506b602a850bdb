import { z } from 'zod';
import { DomainError } from '@edgerec/proto-schemas';
import { parseFlags } from './parse-flags.js';
import type { CliIo } from './main.js';

type BenchRunner = (argv: string[]) => Promise<unknown>;

const num = z.coerce.number().int().positive();

/** parseArgs options: the named string flags plus boolean ones (`--json` by default). */
const flagSpec = (strings: string[], booleans: string[] = ['json']) => ({
  ...Object.fromEntries(strings.map((k) => [k, { type: 'string' as const }])),
  ...Object.fromEntries(booleans.map((k) => [k, { type: 'boolean' as const }])),
});

/** Benchmarks by name; each returns one JSON-able object (the last stdout line). */
const benches: Record<string, BenchRunner> = {
  async train(argv) {
    const f = parseFlags(
      argv,
      flagSpec(['epochs', 'seed', 'dim']),
      z.object({ epochs: num.optional(), seed: num.optional(), dim: num.optional(), json: z.boolean().optional() }),
    );
    const { runTrainBench } = await import('@edgerec/services/bench/train-bench');
    return runTrainBench(f);
  },
  async aggregate(argv) {
    const f = parseFlags(
      argv,
      flagSpec(['nodes', 'rows', 'dim', 'touched', 'strategy', 'seed']),
      z.object({
        nodes: num.optional(),
        rows: num.optional(),
        dim: num.optional(),
        touched: z.coerce.number().gt(0).max(1).optional(),
        strategy: z.enum(['fedavg', 'fedavgm', 'fedadam', 'fedyogi', 'median', 'trimmed-mean', 'krum']).optional(),
        seed: num.optional(),
        json: z.boolean().optional(),
      }),
    );
    const { runAggregateBench } = await import('@edgerec/services/bench/aggregate-bench');
    return runAggregateBench({ ...f, strategy: f.strategy ? { name: f.strategy } : undefined });
  },
  async serve(argv) {
    const f = parseFlags(
      argv,
      flagSpec(['items', 'dim', 'queries', 'seconds', 'rate', 'ingest-rate', 'seed'], ['json', 'no-http']),
      z.object({
        items: num.optional(),
        dim: num.optional(),
        queries: num.optional(),
        seconds: z.coerce.number().positive().max(600).optional(),
        rate: num.optional(),
        'ingest-rate': z.coerce.number().int().min(0).optional(),
        seed: num.optional(),
        json: z.boolean().optional(),
        'no-http': z.boolean().optional(),
      }),
    );
    const { runServeBench } = await import('@edgerec/edge/bench/serve-bench');
    return runServeBench({ ...f, ingestRate: f['ingest-rate'], http: !f['no-http'], json: true });
  },
  async ingest(argv) {
    const f = parseFlags(
      argv,
      flagSpec(['events', 'batch', 'items', 'dim', 'durability', 'seed']),
      z.object({
        events: num.optional(),
        batch: num.optional(),
        items: num.optional(),
        dim: num.optional(),
        durability: z.enum(['power', 'process']).optional(),
        seed: num.optional(),
        json: z.boolean().optional(),
      }),
    );
    const { runIngestBench } = await import('@edgerec/edge/bench/ingest-bench');
    return runIngestBench({ ...f, json: true });
  },
  async prequential(argv) {
    const f = parseFlags(
      argv,
      flagSpec(['users', 'items', 'seed', 'drift-at', 'pretrain-frac', 'buckets', 'replay', 'prox-mu', 'accum-decay']),
      z.object({
        users: num.optional(),
        items: num.optional(),
        seed: num.optional(),
        'drift-at': z.coerce.number().gt(0).lt(1).optional(),
        'pretrain-frac': z.coerce.number().gt(0).lt(1).optional(),
        buckets: num.optional(),
        replay: z.coerce.number().int().min(0).max(10).optional(),
        'prox-mu': z.coerce.number().min(0).max(10).optional(),
        'accum-decay': z.coerce.number().gt(0).max(1).optional(),
        json: z.boolean().optional(),
      }),
    );
    const { runPrequentialBench } = await import('@edgerec/services/bench/prequential-bench');
    return runPrequentialBench({
      users: f.users, items: f.items, seed: f.seed, driftAt: f['drift-at'], pretrainFrac: f['pretrain-frac'],
      buckets: f.buckets, replay: f.replay, proxMu: f['prox-mu'], accumDecay: f['accum-decay'],
    });
  },
  async ann(argv) {
    const f = parseFlags(
      argv,
      flagSpec(['items', 'dim', 'queries', 'm', 'ef-construction', 'ef-search', 'rerank', 'changed-rows', 'seed']),
      z.object({
        items: num.optional(),
        dim: num.optional(),
        queries: num.optional(),
        m: num.optional(),
        'ef-construction': num.optional(),
        'ef-search': num.optional(),
        rerank: num.optional(),
        'changed-rows': z.coerce.number().int().min(0).optional(),
        seed: num.optional(),
        json: z.boolean().optional(),
      }),
    );
    const { runAnnServingBench } = await import('@edgerec/edge/bench/ann-serving-bench');
    return runAnnServingBench({
      items: f.items, dim: f.dim, queries: f.queries, m: f.m, efConstruction: f['ef-construction'], efSearch: f['ef-search'],
      rerank: f.rerank, changedRows: f['changed-rows'], seed: f.seed,
    });
  },
  async exploration(argv) {
    const f = parseFlags(
      argv,
      flagSpec(['users', 'items', 'steps', 'k', 'epsilon', 'seed']),
      z.object({
        users: num.optional(),
        items: num.optional(),
        steps: num.optional(),
        k: num.optional(),
        epsilon: z.coerce.number().gt(0).max(1).optional(),
        seed: num.optional(),
        json: z.boolean().optional(),
      }),
    );
    const { runExplorationBench } = await import('@edgerec/edge/bench/exploration-bench');
    return runExplorationBench(f);
  },
  async quality(argv) {
    const f = parseFlags(
      argv,
      flagSpec(['users', 'items', 'epochs', 'seed'], ['json', 'small-grid']),
      z.object({
        users: num.optional(), items: num.optional(), epochs: num.optional(), seed: num.optional(),
        json: z.boolean().optional(), 'small-grid': z.boolean().optional(),
      }),
    );
    const { runQualityBench } = await import('../../bench/quality-bench.js');
    const grid = f['small-grid']
      ? [{ partition: 'region' as const, edges: 3, compression: 'topk' as const }, { partition: 'random' as const, edges: 3, compression: 'none' as const }]
      : undefined;
    return runQualityBench({ users: f.users, items: f.items, epochs: f.epochs, seed: f.seed, grid });
  },
  async poisoning(argv) {
    const f = parseFlags(
      argv,
      flagSpec(['users', 'items', 'epochs', 'seed', 'edges'], ['json', 'quick']),
      z.object({
        users: num.optional(), items: num.optional(), epochs: num.max(1000).optional(), seed: num.optional(),
        edges: z.coerce.number().int().min(4).max(64).optional(), json: z.boolean().optional(), quick: z.boolean().optional(),
      }),
    );
    const { runPoisoningBench } = await import('../../bench/poisoning-bench.js');
    return runPoisoningBench({ users: f.users, items: f.items, epochs: f.epochs, seed: f.seed, edges: f.edges, quick: f.quick });
  },
  async 'sync-latency'(argv) {
    const f = parseFlags(
      argv,
      flagSpec(['edges', 'rounds', 'warmup', 'items', 'dim', 'events', 'broker', 'poll-ms'], ['json', 'quick', 'keep-dir']),
      z.object({
        edges: num.max(16).optional(), rounds: num.max(1000).optional(), warmup: z.coerce.number().int().min(0).max(100).optional(),
        items: num.optional(), dim: num.max(1024).optional(), events: num.optional(), broker: z.enum(['embedded', 'mosquitto']).optional(),
        'poll-ms': num.max(1000).optional(), json: z.boolean().optional(), quick: z.boolean().optional(), 'keep-dir': z.boolean().optional(),
      }),
    );
    const { runSyncLatencyBench } = await import('../../bench/sync-latency-bench.js');
    return runSyncLatencyBench({
      edges: f.edges, rounds: f.rounds, warmup: f.warmup, items: f.items, dim: f.dim, events: f.events, broker: f.broker,
      pollMs: f['poll-ms'], quick: f.quick, keepDir: f['keep-dir'],
    });
  },
  async soak(argv) {
    const f = parseFlags(
      argv,
      flagSpec(
        ['minutes', 'edges', 'devices', 'rate', 'seed', 'items', 'users', 'dim', 'round-interval-ms', 'min-round-interval-ms',
          'sync-interval-ms', 'min-samples', 'sample-every-s', 'broker'],
        ['json', 'keep-dir'],
      ),
      z.object({
        minutes: z.coerce.number().gt(0).max(24 * 60),
        edges: num.max(16).optional(), devices: num.optional(), rate: z.coerce.number().gt(0).max(100_000).optional(), seed: num.optional(),
        items: num.optional(), users: num.optional(), dim: num.max(1024).optional(), 'round-interval-ms': num.optional(),
        'min-round-interval-ms': z.coerce.number().int().min(0).optional(), 'sync-interval-ms': num.optional(),
        'min-samples': z.coerce.number().int().min(0).optional(), 'sample-every-s': z.coerce.number().gt(0).optional(),
        broker: z.enum(['embedded', 'mosquitto']).optional(), json: z.boolean().optional(), 'keep-dir': z.boolean().optional(),
      }),
    );
    const { runSoakBench } = await import('../../bench/soak-bench.js');
    return runSoakBench({
      minutes: f.minutes, edges: f.edges, devices: f.devices, rate: f.rate, seed: f.seed, items: f.items, users: f.users, dim: f.dim,
      roundIntervalMs: f['round-interval-ms'], minRoundIntervalMs: f['min-round-interval-ms'], syncIntervalMs: f['sync-interval-ms'],
      minSamples: f['min-samples'], sampleEveryS: f['sample-every-s'], broker: f.broker, keepDir: f['keep-dir'],
    });
  },
};

/** Per-area arguments of `bench all`; `--quick` shrinks every area to finish in about a minute. */
const ALL_AREAS = (quick: boolean): [string, string[]][] => [
  ['train', quick ? ['--epochs', '1'] : ['--epochs', '3']],
  ['quality', quick ? ['--users', '120', '--items', '300', '--epochs', '3', '--small-grid'] : ['--epochs', '10']],
  ['aggregate', quick ? ['--nodes', '20', '--rows', '2000'] : ['--nodes', '100', '--rows', '10000', '--dim', '64']],
  ['ingest', quick ? ['--events', '5000'] : ['--events', '50000']],
  ['serve', quick ? ['--items', '5000', '--queries', '100', '--seconds', '2'] : ['--items', '50000', '--dim', '64']],
  ['prequential', quick ? ['--users', '80', '--items', '200', '--buckets', '5'] : []],
  ['exploration', quick ? ['--steps', '1000', '--users', '60', '--items', '150'] : ['--steps', '20000']],
  // Real processes: its own test covers the quick variant, so the CI smoke run stays under a minute.
  ...(quick ? [] : [['sync-latency', []] as [string, string[]]]),
];

benches.all = async (argv) => {
  const f = parseFlags(
    argv,
    flagSpec(['out'], ['json', 'quick']),
    z.object({ json: z.boolean().optional(), quick: z.boolean().optional(), out: z.string().min(1).optional() }),
  );
  const results: Record<string, unknown> = {};
  const t0 = performance.now();
  for (const [name, args] of ALL_AREAS(f.quick === true)) {
    const started = performance.now();
    process.stderr.write(`bench ${name} ${args.join(' ')} …\n`);
    results[name] = await benches[name](args);
    process.stderr.write(`bench ${name}: ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }
  process.stderr.write(`\n${summaryTable(results)}\n`);
  const result = { quick: f.quick === true, seconds: Math.round(performance.now() - t0) / 1000, results };
  if (f.out) {
    const { renderBenchHtml } = await import('../reports/bench-html.js');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(f.out, renderBenchHtml(result, `npm run bench -- all ${argv.join(' ')}`));
    process.stderr.write(`charts: ${f.out}\n`);
  }
  return result;
};

/** One line per area with its top-level figures (rates, latencies, ratios). */
function summaryTable(results: Record<string, unknown>): string {
  const lines = Object.entries(results).map(([area, r]) => {
    const figures = Object.entries(r as Record<string, unknown>)
      .filter(([k, v]) => typeof v === 'number' && /(_per_s|_ms|ratio|_rel|ctr|hr)/.test(k))
      .slice(0, 5)
      .map(([k, v]) => `${k}=${v}`);
    return `${area.padEnd(12)} ${figures.join('  ')}`;
  });
  return lines.join('\n');
}

export const benchUsage = `edgerec bench ${Object.keys(benches).join('|')} [flags] [--json]`;

/** `edgerec bench NAME ...`: runs one benchmark and prints its JSON result as the last line. */
export async function benchCommand(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  const run = name ? benches[name] : undefined;
  if (!run) throw new DomainError('bad_flag', 400, `unknown benchmark "${name ?? ''}" (expected ${Object.keys(benches).join(', ')})`);
  const result = await run(rest);
  io.out.write(`${JSON.stringify({ bench: name, ...(result as object) })}\n`);
  return 0;
}
