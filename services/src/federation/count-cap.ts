import { z } from 'zod';
import { DomainError } from '@edgerec/proto-schemas';

/**
 * Robust per-row weighting for the count-weighted strategies (FedAvg, FedAvgM, FedAdam/Yogi,
 * and the FedAvg step after Krum's selection). Row counts are *claimed* by the edges; central
 * bounds them at intake (≤ samples × rows per sample), but within those bounds one node could
 * still claim, say, 10⁶ × an honest count on every row and own the weighted mean. On every row
 * (and the adapter) that at least `minNodes` nodes touched, each node's weight — the sum of
 * its updates' `rowCount × staleness weight` — is
 *  1. clipped to `medianFactor` × the median node weight of that row: while fewer than half
 *     of the row's nodes lie, the median is an honest count, so a liar weighs at most what
 *     `medianFactor` typical honest nodes weigh, however much it claims. 2 rather than 1
 *     leaves honest heterogeneity alone (a big edge keeps up to twice a typical edge's say;
 *     clipping at 1× cost 1–2 % HR@10 on clean runs, 2× nothing measurable);
 *  2. then capped so that no node holds more than `maxNodeShare` of the row's total weight
 *     (water-filling: the largest weights are lowered to a common level τ with
 *     τ = maxNodeShare × Σ min(wᵢ, τ)). This is the hard guarantee, whatever the counts.
 * Rows touched by fewer nodes keep the claimed weights: with one or two nodes there is no
 * honest majority to anchor on. See docs/decisions.md ("Claimed row counts").
 *
 * @example
 * CountCap.parse({});                      // { maxNodeShare: 0.5, medianFactor: 2, minNodes: 3 }
 * CountCap.parse(false);                   // raw counts (FedAvg as published)
 */
export const CountCapParams = z
  .object({
    /** most of a row's total weight one node may hold */
    maxNodeShare: z.number().gt(0).max(1).default(0.5),
    /** a node's weight on a row is at most this × the row's median node weight; null = no median clip */
    medianFactor: z.number().min(1).max(1e6).nullable().default(2),
    /** rows with fewer contributing nodes keep their claimed weights */
    minNodes: z.int().min(2).max(1_000_000).default(3),
  })
  .refine((c) => c.maxNodeShare * c.minNodes >= 1, {
    message: 'maxNodeShare × minNodes must be ≥ 1 (n nodes cannot all hold less than 1/n)',
    path: ['maxNodeShare'],
  });
export type CountCapParams = z.infer<typeof CountCapParams>;

export const CountCap = z.union([z.literal(false), CountCapParams]).prefault({});
export type CountCap = z.infer<typeof CountCap>;
export type CountCapInput = z.input<typeof CountCap>;

/** Parses a count cap; failures become DomainError('bad_strategy_spec', 400). */
export function parseCountCap(input: unknown): CountCap {
  const r = CountCap.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new DomainError('bad_strategy_spec', 400, `countCap: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim());
  }
  return r.data;
}

/**
 * Caps `w[0..k)` (the node weights of one row, all > 0) in place: median clip, then the share
 * cap. Returns true when any weight was lowered. Needs `k ≥ minNodes` for the share guarantee
 * (the caller skips smaller rows).
 *
 * @example
 * const w = Float64Array.from([1, 1, 1e9]);
 * capNodeWeights(w, 3, CountCapParams.parse({})); // w = [1, 1, 2]: the big one holds 0.5
 */
export function capNodeWeights(w: Float64Array, k: number, cap: CountCapParams): boolean {
  let changed = false;
  if (cap.medianFactor !== null) {
    const limit = cap.medianFactor * medianOfFirst(w, k);
    for (let i = 0; i < k; i++) {
      if (w[i] > limit) {
        w[i] = limit;
        changed = true;
      }
    }
  }
  const tau = shareLevel(w, k, cap.maxNodeShare);
  if (tau === null) return changed;
  for (let i = 0; i < k; i++) if (w[i] > tau) w[i] = tau;
  return true;
}

/**
 * The level τ the largest weights must be lowered to so that none exceeds `share` of the
 * total, or null when none does. With the weights sorted descending and the top j lowered to
 * τ: τ = share × (j·τ + rest) ⇒ τ = share·rest / (1 − share·j), valid when it lies between
 * the j-th and (j+1)-th largest weight; share·k ≥ 1 guarantees such a j < k exists.
 */
function shareLevel(w: Float64Array, k: number, share: number): number | null {
  let total = 0;
  let max = 0;
  for (let i = 0; i < k; i++) {
    total += w[i];
    if (w[i] > max) max = w[i];
  }
  if (max <= share * total) return null;
  const sorted = Float64Array.from(w.subarray(0, k)).sort().reverse();
  // rest[j] = Σ sorted[j..k), summed from the small end: subtracting from a total that one
  // huge claim dominates would lose the small weights to rounding.
  const rest = new Float64Array(k + 1);
  for (let j = k - 1; j >= 0; j--) rest[j] = rest[j + 1] + sorted[j];
  // The smallest j whose level reaches the (j+1)-th weight is the answer; it also lies at or
  // below the j-th (else j − 1 would have reached it), and 1 − share·j > 0 there.
  for (let j = 1; j < k && share * j < 1; j++) {
    const tau = (share * rest[j]) / (1 - share * j);
    if (tau >= sorted[j]) return tau;
  }
  return sorted[k - 1]; // share·k < 1 (not reachable through CountCapParams): equal weights
}

function medianOfFirst(w: Float64Array, k: number): number {
  const s = Float64Array.from(w.subarray(0, k)).sort();
  return k % 2 ? s[(k - 1) / 2] : (s[k / 2 - 1] + s[k / 2]) / 2;
}
