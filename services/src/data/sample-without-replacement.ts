import type { SeededRandom } from './seeded-random.js';

/**
 * Draws `n` distinct indices from softmax(`logits`) without replacement, in draw order
 * (as a sequential sampler that renormalises after every draw). Indices with
 * `exclude[i] !== 0` or a logit of −∞ are never drawn; if fewer than `n` remain, all of
 * them are returned.
 *
 * One pass of exp(logits − max) gives a CDF; draws binary-search it and reject items
 * already drawn — the same distribution as renormalising after every draw, at
 * O(m + n log m). When rejections pile up (popular items exhausted) the CDF is rebuilt
 * without the drawn items. Items whose weight underflows to 0 can only come from the
 * Gumbel-top-k fallback, which continues the same sequential process exactly.
 *
 * @example
 * const picks = sampleWithoutReplacement(Float64Array.of(0, 2, 1), 2, new SeededRandom(1));
 * // e.g. Uint32Array [1, 2] — index 1 is drawn first most often
 */
export function sampleWithoutReplacement(
  logits: ArrayLike<number>,
  n: number,
  rng: SeededRandom,
  exclude?: Uint8Array,
): Uint32Array {
  const m = logits.length;
  const taken = exclude !== undefined ? Uint8Array.from(exclude.subarray(0, m)) : new Uint8Array(m);
  let max = -Infinity;
  let available = 0;
  for (let i = 0; i < m; i++) {
    if (taken[i] !== 0 || !(logits[i] > -Infinity)) continue;
    available++;
    if (logits[i] > max) max = logits[i];
  }
  const take = Math.min(Math.max(0, Math.floor(n)), available);
  const out = new Uint32Array(take);
  if (take === 0) return out;
  const weight = new Float64Array(m);
  for (let i = 0; i < m; i++) if (taken[i] === 0 && logits[i] > -Infinity) weight[i] = Math.exp(logits[i] - max);
  const cum = new Float64Array(m);
  const rebuildAfter = Math.max(32, m >> 4);
  let k = 0;
  while (k < take) {
    const total = buildCdf(weight, taken, cum);
    if (!(total > 0)) break;
    let rejections = 0;
    while (k < take && rejections < rebuildAfter) {
      const i = firstAbove(cum, rng.nextFloat() * total);
      if (taken[i] !== 0) {
        rejections++;
        continue;
      }
      taken[i] = 1;
      out[k++] = i;
    }
  }
  if (k < take) out.set(gumbelTopK(logits, take - k, rng, taken), k);
  return out;
}

/** Prefix sums of the weights of not-yet-taken items; returns the total. */
function buildCdf(weight: Float64Array, taken: Uint8Array, cum: Float64Array): number {
  let total = 0;
  for (let i = 0; i < weight.length; i++) {
    if (taken[i] === 0) total += weight[i];
    cum[i] = total;
  }
  return total;
}

/** The `n` largest of logit + Gumbel noise over indices not `taken`, in descending key order. */
function gumbelTopK(logits: ArrayLike<number>, n: number, rng: SeededRandom, taken: Uint8Array): Uint32Array {
  const m = logits.length;
  const keys = new Float64Array(m);
  for (let i = 0; i < m; i++) keys[i] = taken[i] !== 0 ? -Infinity : logits[i] + rng.gumbel();
  // Native typed-array sort finds the cut-off key; only the winners need a comparator sort.
  const threshold = keys.slice().sort()[m - n];
  const winners: number[] = [];
  for (let i = 0; i < m; i++) if (keys[i] >= threshold && keys[i] > -Infinity) winners.push(i);
  winners.sort((a, b) => keys[b] - keys[a] || a - b);
  return Uint32Array.from(winners.slice(0, n));
}

/** Smallest i with cum[i] > x (cum is non-decreasing, x < cum[last]); lands only on items with mass. */
function firstAbove(cum: Float64Array, x: number): number {
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cum[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
