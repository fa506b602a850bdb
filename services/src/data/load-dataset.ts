import { join } from 'node:path';
import { DomainError } from '@edgerec/proto-schemas';
import type { Dataset } from './dataset.js';
import { assertDirectory, isFile } from './file-lines.js';
import { loadMlLatest } from './ml-latest-loader.js';
import { loadMl100k } from './ml100k-loader.js';
import { generateSynthetic } from './synthetic.js';
import type { SyntheticOptions } from './synthetic-model.js';

export const DATASET_FORMATS = ['ml-100k', 'ml-latest', 'synthetic'] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

export interface LoadDatasetOptions {
  format: DatasetFormat;
  /** directory holding u.data (+ u.user) or ratings.csv; required for the file formats */
  dir?: string;
  synthetic?: SyntheticOptions;
}

/** The file each format cannot do without. */
const REQUIRED_FILE: Record<Exclude<DatasetFormat, 'synthetic'>, string> = {
  'ml-100k': 'u.data',
  'ml-latest': 'ratings.csv',
};

/**
 * One entry point for the CLI (`--format … --data DIR`). A missing `dir`, directory or
 * required file is `DomainError('data_not_found')` naming the path; an unknown format is
 * `bad_format`; malformed content is `bad_data` from the parsers.
 *
 * @example
 * const ds = await loadDataset({ format: 'ml-100k', dir: '/data/ml-100k' });
 * const syn = await loadDataset({ format: 'synthetic', synthetic: { seed: 7, driftAt: 0.5 } });
 */
export async function loadDataset(opts: LoadDatasetOptions): Promise<Dataset> {
  const format = opts.format as string;
  if (format === 'synthetic') return generateSynthetic(opts.synthetic ?? {});
  if (format !== 'ml-100k' && format !== 'ml-latest') {
    throw new DomainError('bad_format', 400, `unknown data format "${format}" (expected ${DATASET_FORMATS.join(', ')})`);
  }
  const dir = opts.dir;
  if (dir === undefined || dir.trim() === '') {
    throw new DomainError('data_not_found', 400, `format ${format} needs a data directory (--data DIR)`);
  }
  await assertDirectory(dir);
  const file = join(dir, REQUIRED_FILE[format]);
  if (!(await isFile(file))) throw new DomainError('data_not_found', 400, `file not found: ${file}`);
  return format === 'ml-100k' ? loadMl100k(dir) : loadMlLatest(dir);
}
