/** How a delta's staleness decides whether and how much it counts. */
export type StalenessVerdict =
  | { status: 'counted'; weight: 1; staleness: number }
  | { status: 'late'; weight: number; staleness: number }
  | { status: 'rejected'; reason: string; staleness: number };

/**
 * Staleness weight of a delta `s` versions behind: 1/(1+√s), the polynomial decay of
 * FedAsync (Xie et al. 2019) with exponent ½ — 0.5 at s = 1, 0.25 at s = 9.
 *
 * @example
 * stalenessWeight(4); // 1/3
 */
export const stalenessWeight = (s: number): number => 1 / (1 + Math.sqrt(Math.max(0, s)));

/**
 * Judges a delta whose base is `staleness` released versions behind the model being
 * improved (`describe` names them in the reason). Up to `maxStaleness` behind it counts
 * fully (the wire RoundPolicy's meaning); further behind, `late: 'weight'` counts it with
 * weight 1/(1+√s) and `late: 'drop'` refuses it.
 *
 * @example
 * judgeStaleness(2, { maxStaleness: 0, late: 'weight' }); // { status: 'late', weight: 1/(1+√2), staleness: 2 }
 */
export function judgeStaleness(
  staleness: number,
  policy: { maxStaleness: number; late: 'weight' | 'drop' },
  describe: { baseVersion: number; currentVersion: number } = { baseVersion: -staleness, currentVersion: 0 },
): StalenessVerdict {
  if (staleness <= policy.maxStaleness) return { status: 'counted', weight: 1, staleness };
  if (policy.late === 'drop') {
    const { baseVersion, currentVersion } = describe;
    return { status: 'rejected', reason: `stale: base ${baseVersion} is ${staleness} versions behind ${currentVersion}`, staleness };
  }
  return { status: 'late', weight: stalenessWeight(staleness), staleness };
}
