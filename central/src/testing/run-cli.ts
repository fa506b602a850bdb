import { PassThrough } from 'node:stream';
import { main } from '../cli/main.js';

/**
 * Runs `edgerec <argv>` in-process with captured stdout/stderr (tests).
 *
 * @example
 * const { code, out } = await runCli(['eval', '--format', 'synthetic', '--json']);
 */
export async function runCli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (c) => (o += c));
  err.on('data', (c) => (e += c));
  const code = await main(argv, { out, err });
  return { code, out: o, err: e };
}
