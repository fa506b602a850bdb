import { join } from 'node:path';
import type { Dataset } from './dataset.js';
import { readFileLines, isFile } from './file-lines.js';
import { forEachLine, type LineHandler } from './line-splitter.js';
import { badData, buildDataset, emptyRatingColumns, parseIntField, pushRatingRow, type RatingColumns } from './rating-columns.js';

/** One row of ml-100k `u.user`: `user|age|gender|occupation|zip`. */
export interface Ml100kUser {
  user: number;
  age: number;
  gender: string;
  occupation: string;
  zip: string;
}

/**
 * Region label of a zip code: its first character (`'55105'` → `'5'`, Canadian
 * `'T8H1N'` → `'T'`), `'unknown'` when empty. ml-100k's first zip digit is a coarse US
 * region, which is what the region partition (one edge per region) uses.
 *
 * @example
 * zipRegion('94043'); // '9'
 */
export const zipRegion = (zip: string): string => {
  const z = zip.trim();
  return z.length > 0 ? z[0] : 'unknown';
};

/**
 * Parses ml-100k `u.data` text (`user<TAB>item<TAB>rating<TAB>timestamp`). Blank lines are
 * skipped; any other malformed line is `DomainError('bad_data')` naming file and line; a
 * file without rows is `bad_data` too.
 *
 * @example
 * parseMl100kData('196\t242\t3\t881250949\n').items; // [242]
 */
export function parseMl100kData(text: string, file = 'u.data'): RatingColumns {
  const p = dataParser(file);
  forEachLine(text, p.line);
  return p.finish();
}

/**
 * Parses ml-100k `u.user` text (`user|age|gender|occupation|zip`); a user listed twice is
 * `bad_data`.
 *
 * @example
 * parseMl100kUsers('1|24|M|technician|85711\n')[0].zip; // '85711'
 */
export function parseMl100kUsers(text: string, file = 'u.user'): Ml100kUser[] {
  const p = userParser(file);
  forEachLine(text, p.line);
  return p.users;
}

/**
 * Builds the dataset from in-memory `u.data` (and optional `u.user`) texts. Without
 * `u.user` there is no `userRegion`; with it, users it lacks get `'unknown'`.
 *
 * @example
 * const ds = ml100kToDataset(dataText, usersText);
 */
export function ml100kToDataset(dataText: string, usersText?: string): Dataset {
  const cols = parseMl100kData(dataText);
  const users = usersText === undefined ? undefined : parseMl100kUsers(usersText);
  return toDataset(cols, users);
}

/**
 * Reads `dir/u.data` and, when present, `dir/u.user`. Missing `u.data` is
 * `DomainError('data_not_found')`.
 *
 * @example
 * const ds = await loadMl100k('/data/ml-100k'); // 943 users, 1682 items, ~10 zip regions
 */
export async function loadMl100k(dir: string): Promise<Dataset> {
  const data = dataParser('u.data');
  await readFileLines(join(dir, 'u.data'), data.line);
  const cols = data.finish();
  let users: Ml100kUser[] | undefined;
  const userFile = join(dir, 'u.user');
  if (await isFile(userFile)) {
    const p = userParser('u.user');
    await readFileLines(userFile, p.line);
    users = p.users;
  }
  return toDataset(cols, users);
}

function toDataset(cols: RatingColumns, users: Ml100kUser[] | undefined): Dataset {
  if (!users) return buildDataset('ml-100k', cols);
  const region = new Map(users.map((u) => [u.user, zipRegion(u.zip)]));
  return buildDataset('ml-100k', cols, (u) => region.get(u));
}

function dataParser(file: string): { line: LineHandler; finish: () => RatingColumns } {
  const cols = emptyRatingColumns();
  const line: LineHandler = (text, lineNo) => {
    if (text.trim() === '') return;
    const where = `${file} line ${lineNo}`;
    const fields = text.split('\t');
    if (fields.length !== 4) throw badData(where, `expected 4 tab-separated fields, got ${fields.length}`);
    pushRatingRow(cols, fields, where);
  };
  const finish = (): RatingColumns => {
    if (cols.users.length === 0) throw badData(file, 'no ratings (empty file)');
    return cols;
  };
  return { line, finish };
}

function userParser(file: string): { line: LineHandler; users: Ml100kUser[] } {
  const users: Ml100kUser[] = [];
  const seen = new Set<number>();
  const line: LineHandler = (text, lineNo) => {
    if (text.trim() === '') return;
    const where = `${file} line ${lineNo}`;
    const f = text.split('|');
    if (f.length !== 5) throw badData(where, `expected 5 |-separated fields, got ${f.length}`);
    const user = parseIntField(f[0], 'user id', where);
    if (seen.has(user)) throw badData(where, `user ${user} is listed twice`);
    seen.add(user);
    const age = parseIntField(f[1], 'age', where);
    users.push({ user, age, gender: f[2].trim(), occupation: f[3].trim(), zip: f[4].trim() });
  };
  return { line, users };
}
