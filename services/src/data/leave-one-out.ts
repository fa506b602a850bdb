import type { Dataset, Interaction } from './dataset.js';
import { SeededRandom } from './seeded-random.js';

/** One held-out interaction: the user's latest item and sampled items the user never touched. */
export interface LooTestCase {
  user: number;
  item: number;
  negatives: Uint32Array;
}

export interface LooSplit {
  numUsers: number;
  numItems: number;
  /** every interaction except the test ones, in data set order */
  train: Interaction[];
  /** at most one per user, ascending by user */
  test: LooTestCase[];
  /** per user, the train items oldest first (ties in data set order); the model's sequences */
  trainByUser: Uint32Array[];
}

export interface LeaveOneOutOptions {
  /** sampled negatives per test case (default 100) */
  negatives?: number;
  /** seed of the negative sampling (default 7) */
  seed?: number;
}

/**
 * Leave-one-out split (the NCF protocol): each user's latest interaction — largest ts,
 * ties broken by data set order, last wins — is the test item; users with fewer than two
 * interactions have no test case and keep everything in train. Negatives are drawn
 * uniformly without replacement from items the user never interacted with (train or test);
 * if fewer exist than asked for, the case gets all of them.
 *
 * Repeated (user, item) pairs are data and stay as they are: if the test item also
 * occurs earlier for that user, those earlier rows remain in train (so a model may have
 * seen it). Full-ranking evaluation therefore must not exclude the positive itself —
 * `evaluateLoo` takes care of that.
 *
 * @example
 * const split = leaveOneOut(ds, { negatives: 100, seed: 7 });
 * split.test[0]; // { user: 0, item: 41, negatives: Uint32Array(100) }
 */
export function leaveOneOut(ds: Dataset, opts: LeaveOneOutOptions = {}): LooSplit {
  const numNeg = Math.max(0, Math.floor(opts.negatives ?? 100));
  const rng = new SeededRandom(opts.seed ?? 7);
  const { numUsers: U, numItems: I, interactions } = ds;
  const byUser = rowsByUser(ds);
  const isTest = new Uint8Array(interactions.length);
  const test: LooTestCase[] = [];
  const trainByUser: Uint32Array[] = new Array(U);
  const seenStamp = new Uint32Array(I);
  for (let u = 0; u < U; u++) {
    const rows = byUser[u];
    const hasTest = rows.length >= 2;
    const trainRows = hasTest ? rows.subarray(0, rows.length - 1) : rows;
    trainByUser[u] = Uint32Array.from(trainRows, (r) => interactions[r].item);
    if (!hasTest) continue;
    const testRow = rows[rows.length - 1];
    isTest[testRow] = 1;
    const stamp = u + 1;
    let distinct = 0;
    for (const r of rows) {
      const it = interactions[r].item;
      if (seenStamp[it] !== stamp) {
        seenStamp[it] = stamp;
        distinct++;
      }
    }
    const negatives = sampleUnseen(seenStamp, stamp, I - distinct, numNeg, rng);
    test.push({ user: u, item: interactions[testRow].item, negatives });
  }
  const train = interactions.filter((_, r) => isTest[r] === 0);
  return { numUsers: U, numItems: I, train, test, trainByUser };
}

/** Per user, row indices ordered by (ts, row): the last one is the test row. */
function rowsByUser(ds: Dataset): Uint32Array[] {
  const counts = new Uint32Array(ds.numUsers);
  for (const it of ds.interactions) counts[it.user]++;
  const rows = Array.from(counts, (c) => new Uint32Array(c));
  const fill = new Uint32Array(ds.numUsers);
  const xs = ds.interactions;
  for (let r = 0; r < xs.length; r++) rows[xs[r].user][fill[xs[r].user]++] = r;
  for (const list of rows) {
    let sorted = true;
    for (let j = 1; j < list.length && sorted; j++) if (xs[list[j]].ts < xs[list[j - 1]].ts) sorted = false;
    if (!sorted) list.sort((a, b) => xs[a].ts - xs[b].ts || a - b);
  }
  return rows;
}

/**
 * Up to `want` distinct items with seenStamp ≠ stamp, uniformly. Rejection sampling while
 * most of the catalogue is unseen; otherwise enumerate the unseen items and take a partial
 * Fisher–Yates prefix. `seenStamp[i] === stamp` marks the current user's items (stamps
 * avoid clearing a per-user mask).
 */
function sampleUnseen(seenStamp: Uint32Array, stamp: number, unseen: number, want: number, rng: SeededRandom): Uint32Array {
  const m = seenStamp.length;
  const take = Math.min(want, unseen);
  const out = new Uint32Array(take);
  if (take === 0) return out;
  if (unseen * 2 >= m && take * 2 <= unseen) {
    const picked = new Set<number>();
    let k = 0;
    while (k < take) {
      const i = rng.nextInt(m);
      if (seenStamp[i] === stamp || picked.has(i)) continue;
      picked.add(i);
      out[k++] = i;
    }
    return out;
  }
  const pool = new Uint32Array(unseen);
  let n = 0;
  for (let i = 0; i < m; i++) if (seenStamp[i] !== stamp) pool[n++] = i;
  for (let k = 0; k < take; k++) {
    const j = k + rng.nextInt(n - k);
    const tmp = pool[k];
    pool[k] = pool[j];
    pool[j] = tmp;
    out[k] = pool[k];
  }
  return out;
}
