import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { DomainError } from '@edgerec/proto-schemas';
import { LineSplitter, type LineHandler } from './line-splitter.js';

/**
 * The IO shell of the loaders: streams a UTF-8 file line by line (1 MiB chunks, so a
 * multi-GB ml-latest ratings.csv never has to fit in one JS string). A missing file
 * becomes `DomainError('data_not_found')` naming the path; errors thrown by `onLine`
 * (e.g. `bad_data`) pass through unchanged.
 *
 * @example
 * await readFileLines('/data/ml-100k/u.data', (line, n) => parser.line(line, n));
 */
export async function readFileLines(path: string, onLine: LineHandler): Promise<void> {
  const splitter = new LineSplitter(onLine);
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream) splitter.push(chunk as string);
  } catch (err) {
    throw asNotFound(err, path);
  } finally {
    stream.destroy();
  }
  splitter.end();
}

/** True when `path` is an existing regular file (false for a missing path or a directory). */
export async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Throws `DomainError('data_not_found')` unless `dir` is an existing directory.
 *
 * @example
 * await assertDirectory(opts.dir); // before looking for u.data inside it
 */
export async function assertDirectory(dir: string): Promise<void> {
  let ok = false;
  try {
    ok = (await stat(dir)).isDirectory();
  } catch {
    ok = false;
  }
  if (!ok) throw new DomainError('data_not_found', 400, `data directory not found: ${dir}`);
}

function asNotFound(err: unknown, path: string): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return new DomainError('data_not_found', 400, `file not found: ${path}`);
  if (code === 'EISDIR') return new DomainError('data_not_found', 400, `expected a file, found a directory: ${path}`);
  return err;
}
