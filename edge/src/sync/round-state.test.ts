import { describe, expect, it } from 'vitest';
import type { RoundControlMsg } from '@edgerec/proto-schemas';
import { RoundState } from './round-state.js';

const node = { nodeId: 'edge-1', region: 'eu' };
const open = (roundId: number): RoundControlMsg => ({
  v: 1, type: 'open', roundId, baseVersion: roundId, deadline: 0, minNodes: 1, policy: { maxStaleness: 0, late: 'weight' },
});
const close = (roundId: number, reason: string): RoundControlMsg => ({ v: 1, type: 'close', roundId, reason });

describe('RoundState', () => {
  it('lets an edge answer each round once', () => {
    const rs = new RoundState({ lastCutSeq: 0, answeredRound: null, carryFrom: null });
    expect(rs.mayAnswer()).toBe(true); // no round known: async mode
    rs.onControl(open(1), node);
    expect(rs.mayAnswer()).toBe(true);
    rs.persisted = { ...rs.persisted, answeredRound: 1 };
    expect(rs.mayAnswer()).toBe(false);
    rs.onControl(close(1, 'complete'), node);
    rs.onControl(open(2), node);
    expect(rs.mayAnswer()).toBe(true);
  });

  it('counts a round whose deltas central carried over as answered', () => {
    const rs = new RoundState({ lastCutSeq: 0, answeredRound: 4, carryFrom: null });
    rs.onControl(open(4), node);
    expect(rs.onControl(close(4, 'insufficient'), node)).toBe(true);
    expect(rs.onControl(open(5), node)).toBe(true);
    expect(rs.persisted).toMatchObject({ answeredRound: 5, carryFrom: null });
    expect(rs.mayAnswer()).toBe(false);
  });

  it('pauses only when targeted', () => {
    const rs = new RoundState({ lastCutSeq: 0, answeredRound: null, carryFrom: null });
    rs.onControl({ v: 1, type: 'pause', regions: ['us'] }, node);
    expect(rs.paused).toBe(false);
    rs.onControl({ v: 1, type: 'pause', nodeIds: ['edge-1'] }, node);
    expect(rs.paused).toBe(true);
    rs.onControl({ v: 1, type: 'resume' }, node);
    expect(rs.paused).toBe(false);
  });
});
