import { DomainError } from '@edgerec/proto-schemas';
import type { Dataset, Interaction } from './dataset.js';

/**
 * Parsed rating rows with the source's numeric external ids, column-wise and in file
 * order (columns of numbers hold 33M-row ml-latest files in a fraction of the memory of
 * row objects).
 */
export interface RatingColumns {
  users: number[];
  items: number[];
  ratings: number[];
  timestamps: number[];
}

export const emptyRatingColumns = (): RatingColumns => ({ users: [], items: [], ratings: [], timestamps: [] });

const INT_RE = /^\d+$/;
const DECIMAL_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** `bad_data` error that names where it happened, e.g. `u.data line 17: ...`. */
export const badData = (where: string, message: string): DomainError =>
  new DomainError('bad_data', 400, `${where}: ${message}`);

/**
 * Parses a non-negative integer field (ids, timestamps, ages); anything else is `bad_data`.
 *
 * @example
 * parseIntField('196', 'user id', 'u.data line 1'); // 196
 */
export function parseIntField(text: string, what: string, where: string): number {
  const t = text.trim();
  const n = INT_RE.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(n)) throw badData(where, `${what} must be a non-negative integer, got ${quote(t)}`);
  return n;
}

/**
 * Parses a finite decimal field (ratings such as `3` or `4.5`).
 *
 * @example
 * parseDecimalField('4.5', 'rating', 'ratings.csv line 2'); // 4.5
 */
export function parseDecimalField(text: string, what: string, where: string): number {
  const t = text.trim();
  const n = DECIMAL_RE.test(t) ? Number(t) : NaN;
  if (!Number.isFinite(n)) throw badData(where, `${what} must be a number, got ${quote(t)}`);
  return n;
}

/** Appends one `user item rating timestamp` row given as text fields. */
export function pushRatingRow(cols: RatingColumns, fields: string[], where: string): void {
  cols.users.push(parseIntField(fields[0], 'user id', where));
  cols.items.push(parseIntField(fields[1], 'item id', where));
  cols.ratings.push(parseDecimalField(fields[2], 'rating', where));
  cols.timestamps.push(parseIntField(fields[3], 'timestamp', where));
}

/**
 * Turns parsed rows into a `Dataset`. Dense ids follow the numeric order of the external
 * ids (deterministic, independent of row order); `userIds`/`itemIds` hold the canonical
 * decimal strings. Interactions are sorted by timestamp, stably, so equal timestamps keep
 * file order — replay and leave-one-out rely on that. `regionOf` (external user id →
 * label) fills `userRegion`; users it doesn't know get `'unknown'`.
 *
 * @example
 * const ds = buildDataset('ml-100k', parseMl100kData(text), (u) => regions.get(u));
 */
export function buildDataset(
  name: string,
  cols: RatingColumns,
  regionOf?: (externalUserId: number) => string | undefined,
): Dataset {
  const n = cols.users.length;
  const { sorted: userExt, dense: userDense } = denseIds(cols.users);
  const { sorted: itemExt, dense: itemDense } = denseIds(cols.items);
  const order = timeOrder(cols.timestamps);
  const interactions: Interaction[] = new Array(n);
  for (let k = 0; k < n; k++) {
    const r = order[k];
    interactions[k] = {
      user: userDense.get(cols.users[r]) as number,
      item: itemDense.get(cols.items[r]) as number,
      ts: cols.timestamps[r],
      rating: cols.ratings[r],
    };
  }
  const ds: Dataset = {
    name,
    numUsers: userExt.length,
    numItems: itemExt.length,
    interactions,
    userIds: Array.from(userExt, String),
    itemIds: Array.from(itemExt, String),
  };
  if (regionOf) ds.userRegion = Array.from(userExt, (u) => regionOf(u) ?? 'unknown');
  return ds;
}

function denseIds(ext: number[]): { sorted: Float64Array; dense: Map<number, number> } {
  const sorted = Float64Array.from(new Set(ext)).sort();
  const dense = new Map<number, number>();
  for (let i = 0; i < sorted.length; i++) dense.set(sorted[i], i);
  return { sorted, dense };
}

/** Row indices in (timestamp, row) order; skips the sort when the file is already in time order. */
function timeOrder(ts: number[]): Uint32Array {
  const order = new Uint32Array(ts.length);
  let sorted = true;
  for (let i = 0; i < ts.length; i++) {
    order[i] = i;
    if (i > 0 && ts[i] < ts[i - 1]) sorted = false;
  }
  if (sorted) return order;
  return order.sort((x, y) => ts[x] - ts[y] || x - y);
}

const quote = (s: string): string => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
