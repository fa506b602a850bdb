import { z } from 'zod';
import { DomainError } from '@edgerec/proto-schemas';
import { parseFlags } from './parse-flags.js';
import type { CliIo } from './main.js';

type BenchRunner = (argv: string[]) => Promise<unknown>;

const num = z.coerce.number().int().positive();

/** Benchmarks by name; each returns one JSON-able object (the last stdout line). */
const benches: Record<string, BenchRunner> = {
  async train(argv) {
    const f = parseFlags(
      argv,
      { epochs: { type: 'string' }, seed: { type: 'string' }, dim: { type: 'string' }, json: { type: 'boolean' } },
      z.object({ epochs: num.optional(), seed: num.optional(), dim: num.optional(), json: z.boolean().optional() }),
    );
    const { runTrainBench } = await import('@edgerec/services/bench/train-bench');
    return runTrainBench(f);
  },
  async aggregate(argv) {
    const f = parseFlags(
      argv,
      {
        nodes: { type: 'string' },
        rows: { type: 'string' },
        dim: { type: 'string' },
        touched: { type: 'string' },
        strategy: { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'boolean' },
      },
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
};

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
