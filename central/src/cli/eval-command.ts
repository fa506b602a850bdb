import { z } from 'zod';
import { loadDataset, DATASET_FORMATS } from '@edgerec/services/data';
import { defaultModelConfig } from '@edgerec/services/model';
import { runCentralizedEval } from '../eval/centralized-eval.js';
import { runFederatedEval } from '../eval/federated-eval.js';
import { parseFlags } from './parse-flags.js';
import { createProgress } from './progress.js';
import type { CliIo } from './main.js';

const EvalFlags = z
  .object({
    data: z.string().min(1).optional(),
    format: z.enum(DATASET_FORMATS).default('synthetic'),
    protocol: z.literal('loo').default('loo'),
    negatives: z.coerce.number().int().min(1).max(10_000).default(100),
    mode: z.enum(['centralized', 'federated']).default('centralized'),
    edges: z.coerce.number().int().min(1).max(1000).default(10),
    partition: z.enum(['region', 'random']).default('region'),
    rounds: z.coerce.number().int().min(1).max(10_000).optional(),
    compression: z.enum(['none', 'int8', 'topk']).default('topk'),
    seed: z.coerce.number().int().default(7),
    epochs: z.coerce.number().int().min(1).max(1000).optional(),
    dim: z.coerce.number().int().min(2).max(1024).optional(),
    users: z.coerce.number().int().min(2).max(10_000_000).optional(),
    items: z.coerce.number().int().min(2).max(10_000_000).optional(),
    json: z.boolean().default(false),
  })
  .refine((f) => f.format === 'synthetic' || f.data !== undefined, { message: 'is required for file formats', path: ['data'] })
  .refine((f) => f.format === 'synthetic' || (f.users === undefined && f.items === undefined), {
    message: 'only applies to --format synthetic',
    path: ['users'],
  });
export type EvalFlags = z.infer<typeof EvalFlags>;

const options = {
  data: { type: 'string' },
  format: { type: 'string' },
  protocol: { type: 'string' },
  negatives: { type: 'string' },
  mode: { type: 'string' },
  edges: { type: 'string' },
  partition: { type: 'string' },
  rounds: { type: 'string' },
  compression: { type: 'string' },
  seed: { type: 'string' },
  epochs: { type: 'string' },
  dim: { type: 'string' },
  users: { type: 'string' },
  items: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** Default number of passes over the training data (see docs/decisions.md for the tuning). */
export const DEFAULT_EPOCHS = 20;

export const evalUsage = `edgerec eval [--data DIR] --format ml-100k|ml-latest|synthetic --protocol loo
             [--negatives 100] [--mode centralized|federated] [--edges 10] [--partition region|random]
             [--rounds N] [--compression none|int8|topk] [--epochs N] [--dim D] [--seed 7] [--json]
             [--users N --items N]   (size of the synthetic data set)`;

/** `edgerec eval`: trains and evaluates with leave-one-out; prints one JSON object on stdout. */
export async function evalCommand(argv: string[], io: CliIo): Promise<number> {
  const flags = parseFlags(argv, options, EvalFlags);
  const synthetic = { seed: flags.seed, ...(flags.users ? { numUsers: flags.users } : {}), ...(flags.items ? { numItems: flags.items } : {}) };
  const ds = await loadDataset({ format: flags.format, dir: flags.data, synthetic });
  const config = defaultModelConfig(flags.dim ? { dim: flags.dim } : {});
  const epochs = flags.epochs ?? DEFAULT_EPOCHS;
  if (flags.mode === 'federated') {
    const rounds = flags.rounds ?? epochs;
    const fedBar = createProgress('round', rounds, io.err as NodeJS.WriteStream);
    const report = await runFederatedEval(ds, {
      negatives: flags.negatives, seed: flags.seed, epochs, config, edges: flags.edges, partition: flags.partition,
      rounds, compression: flags.compression, onRound: (r) => fedBar.update(r),
    });
    fedBar.stop();
    io.out.write(`${JSON.stringify({ dataset: ds.name, epochs, ...report })}\n`);
    return 0;
  }
  const bar = createProgress('train', epochs, io.err as NodeJS.WriteStream);
  const report = runCentralizedEval(ds, {
    negatives: flags.negatives,
    seed: flags.seed,
    epochs,
    config,
    onEpoch: (e, _n, loss) => bar.update(e + 1, { loss: loss.toFixed(4) }),
  });
  bar.stop();
  io.out.write(`${JSON.stringify({ dataset: ds.name, mode: 'centralized', epochs, ...report })}\n`);
  return 0;
}
