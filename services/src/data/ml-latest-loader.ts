import { join } from 'node:path';
import type { Dataset } from './dataset.js';
import { readFileLines } from './file-lines.js';
import { forEachLine, type LineHandler } from './line-splitter.js';
import { badData, buildDataset, emptyRatingColumns, pushRatingRow, type RatingColumns } from './rating-columns.js';

/** The header ml-latest / ml-latest-small / ml-25m `ratings.csv` files start with. */
export const ML_LATEST_HEADER = 'userId,movieId,rating,timestamp';

/**
 * Parses ml-latest `ratings.csv` text: the header line must be exactly
 * `userId,movieId,rating,timestamp` (whitespace around it and a BOM are tolerated), then
 * `user,item,rating,timestamp` rows. Malformed lines are `DomainError('bad_data')` naming
 * file and line; a file with no rows is `bad_data` too.
 *
 * @example
 * parseMlLatestRatings('userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n').ratings; // [2.5]
 */
export function parseMlLatestRatings(text: string, file = 'ratings.csv'): RatingColumns {
  const p = ratingsParser(file);
  forEachLine(text, p.line);
  return p.finish();
}

/**
 * Builds the dataset from in-memory `ratings.csv` text (no regions: the format has none).
 *
 * @example
 * const ds = mlLatestToDataset(csvText);
 */
export function mlLatestToDataset(text: string): Dataset {
  return buildDataset('ml-latest', parseMlLatestRatings(text));
}

/**
 * Streams `dir/ratings.csv`; a missing file is `DomainError('data_not_found')`.
 *
 * @example
 * const ds = await loadMlLatest('/data/ml-latest-small'); // 610 users, 9724 items
 */
export async function loadMlLatest(dir: string): Promise<Dataset> {
  const p = ratingsParser('ratings.csv');
  await readFileLines(join(dir, 'ratings.csv'), p.line);
  return buildDataset('ml-latest', p.finish());
}

function ratingsParser(file: string): { line: LineHandler; finish: () => RatingColumns } {
  const cols = emptyRatingColumns();
  let sawHeader = false;
  const line: LineHandler = (text, lineNo) => {
    const where = `${file} line ${lineNo}`;
    if (!sawHeader) {
      const header = text.trim();
      if (header !== ML_LATEST_HEADER) {
        const got = header.length > 60 ? `${header.slice(0, 60)}…` : header;
        throw badData(where, `expected header "${ML_LATEST_HEADER}", got ${JSON.stringify(got)}`);
      }
      sawHeader = true;
      return;
    }
    if (text.trim() === '') return;
    const fields = text.split(',');
    if (fields.length !== 4) throw badData(where, `expected 4 comma-separated fields, got ${fields.length}`);
    pushRatingRow(cols, fields, where);
  };
  const finish = (): RatingColumns => {
    if (!sawHeader) throw badData(file, 'empty file (no header)');
    if (cols.users.length === 0) throw badData(file, 'no ratings after the header');
    return cols;
  };
  return { line, finish };
}
