import { SeededRandom, type LooSplit } from '@edgerec/services/data';
import type { CentralHoldout } from '../aggregator/index.js';

/** Central's holdout and the edges' user groups without its users. */
export interface CarvedHoldout {
  holdout: CentralHoldout;
  groups: number[][];
  users: number;
}

/**
 * Takes `count` users (a seeded pick among those with a test case) off the edges and gives
 * them to central as the validation gate's holdout, so the gate scores candidates on users
 * no edge trains on or is scored on.
 *
 * @example
 * const { holdout, groups } = carveHoldout(split, userGroups, 150, 7);
 */
export function carveHoldout(split: LooSplit, groups: readonly number[][], count: number, seed: number): CarvedHoldout {
  const testable = Uint32Array.from(split.test.map((tc) => tc.user));
  const picked = new Set(new SeededRandom(seed + 4093).shuffle(testable).subarray(0, Math.max(0, count)));
  return {
    holdout: { split: { ...split, test: split.test.filter((tc) => picked.has(tc.user)) } },
    groups: groups.map((g) => g.filter((u) => !picked.has(u))),
    users: picked.size,
  };
}
