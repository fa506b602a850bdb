import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { z } from 'zod';
import { DomainError } from '@edgerec/proto-schemas';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses `argv` with node's strict parseArgs, then validates with `schema`. Unknown flags,
 * missing values and values the schema refuses become `DomainError('bad_flag', 400)`, which
 * the CLI prints as one line and exits with code 2.
 *
 * @example
 * const flags = parseFlags(argv, { port: { type: 'string' } }, z.object({ port: z.coerce.number().int() }));
 */
export function parseFlags<S extends z.ZodType>(argv: string[], options: Options, schema: S): z.output<S> {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (e) {
    throw new DomainError('bad_flag', 400, (e as Error).message);
  }
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `--${i.path.join('.') || '?'}: ${i.message}`).join('; ');
    throw new DomainError('bad_flag', 400, msg);
  }
  return parsed.data;
}
