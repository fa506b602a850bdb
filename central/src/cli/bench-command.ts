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
