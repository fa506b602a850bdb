import type { RoundControlMsg, RoundPolicy } from '@edgerec/proto-schemas';

/** The round an edge currently answers, from central's `control/rounds`. */
export interface OpenRound {
  id: number;
  baseVersion: number;
  deadline: number;
  policy: RoundPolicy;
}

/** What must survive a restart: where the last delta's event window ended, which round it answered. */
export interface PersistedRoundState {
  lastCutSeq: number;
  answeredRound: number | null;
  /** a round closed without aggregating whose deltas central carried into the next one */
  carryFrom: number | null;
}

/** Close reasons after which central carries the round's deltas into the next round. */
const CARRIED = new Set(['insufficient', 'abandoned', 'superseded']);

/**
 * Round bookkeeping of the sync client, as a small state machine over control messages.
 * An edge sends at most one delta per round on its own (the interval and `open` triggers),
 * because central's FedAvg averages the deltas it gets: two deltas of one node in one round
 * would be averaged instead of added. When central reopens a round and carries its deltas
 * over (`close` with insufficient/abandoned/superseded), the edge's delta is already in the
 * successor, so the successor counts as answered too.
 *
 * @example
 * const rs = new RoundState({ lastCutSeq: 0, answeredRound: null, carryFrom: null });
 * rs.onControl(openMsg);      // → the round is open
 * rs.mayAnswer();             // true until a delta for it was cut
 */
export class RoundState {
  open: OpenRound | null = null;
  paused = false;

  constructor(public persisted: PersistedRoundState) {}

  /** Applies a control message addressed to this node; returns whether the persisted part changed. */
  onControl(m: RoundControlMsg, node: { nodeId: string; region: string }): boolean {
    const p = this.persisted;
    switch (m.type) {
      case 'open':
        this.open = { id: m.roundId, baseVersion: m.baseVersion, deadline: m.deadline, policy: m.policy };
        if (p.carryFrom !== null && m.roundId > p.carryFrom) {
          this.persisted = { ...p, answeredRound: m.roundId, carryFrom: null };
          return true;
        }
        return false;
      case 'close':
        if (this.open?.id === m.roundId) this.open = null;
        if (CARRIED.has(m.reason) && p.answeredRound === m.roundId) {
          this.persisted = { ...p, carryFrom: m.roundId };
          return true;
        }
        return false;
      case 'pause':
      case 'resume':
        if (targets(m, node)) this.paused = m.type === 'pause';
        return false;
      default:
        return false;
    }
  }

  /** Whether the open round (if any) still lacks this node's delta. */
  mayAnswer(): boolean {
    return this.open === null || this.persisted.answeredRound !== this.open.id;
  }

  /**
   * Why no delta should be extracted now, or null when one should. `forced` (an operator's
   * or central's explicit sync) skips the once-per-round, pause and sample minimums, never
   * the model checks: version 0 is the edge's own stand-in central would refuse, and a delta
   * on a base older than the round's would arrive stale.
   */
  blocker(x: { version: number; samples: number; forced: boolean }): string | null {
    const open = this.open;
    if (x.version < 1) return 'no global model installed yet';
    if (open && x.version < open.baseVersion) return `waiting for model ${open.baseVersion}`;
    if (x.forced) return null;
    if (this.paused) return 'paused by central';
    if (!this.mayAnswer()) return `round ${open?.id} already answered`;
    const minSamples = Math.max(1, open?.policy.minSamples ?? 1);
    return x.samples < minSamples ? `fewer than ${minSamples} new samples` : null;
  }
}

/** Whether a pause/resume/sync-now message is meant for this node (everyone when untargeted). */
export function targets(m: { nodeIds?: string[]; regions?: string[] }, node: { nodeId: string; region: string }): boolean {
  if (!m.nodeIds && !m.regions) return true;
  return (m.nodeIds?.includes(node.nodeId) ?? false) || (m.regions?.includes(node.region) ?? false);
}
