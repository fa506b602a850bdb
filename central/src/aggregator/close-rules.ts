import type { RoundIntake } from '../store/index.js';
import type { CentralRoundPolicy } from './round-policy.js';

export type CloseDecision =
  | { close: false }
  | { close: true; reason: 'complete' | 'buffer-full' | 'deadline' }
  | { close: true; reason: 'insufficient'; detail: string };

/**
 * When a round ends (DESIGN §4), as a pure function of what it collected:
 * - synchronous: ≥ minNodes distinct nodes and every expected node (online, not paused,
 *   not quarantined) reported → 'complete';
 * - async buffered: ≥ bufferSize deltas from ≥ minNodes nodes → 'buffer-full';
 * - at the deadline: ≥ minNodes → 'deadline', fewer → 'insufficient' (the caller reopens
 *   and carries the collected deltas over, so no acknowledged delta is lost).
 *
 * @example
 * closeDecision(policy, { deltas: 2, samples: 50, nodes: ['a', 'b'] }, ['a', 'b'], now, deadline); // { close: true, reason: 'complete' }
 */
export function closeDecision(
  policy: Pick<CentralRoundPolicy, 'minNodes' | 'bufferSize'>,
  intake: RoundIntake,
  expected: readonly string[],
  now: number,
  deadline: number,
): CloseDecision {
  const enough = intake.nodes.length >= policy.minNodes;
  if (enough) {
    if (policy.bufferSize !== undefined) {
      if (intake.deltas >= policy.bufferSize) return { close: true, reason: 'buffer-full' };
    } else {
      const reported = new Set(intake.nodes);
      if (expected.every((n) => reported.has(n))) return { close: true, reason: 'complete' };
    }
  }
  if (now < deadline) return { close: false };
  if (enough) return { close: true, reason: 'deadline' };
  return {
    close: true,
    reason: 'insufficient',
    detail: `${intake.nodes.length} of ${policy.minNodes} nodes by the deadline`,
  };
}
