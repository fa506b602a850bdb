import { describe, expect, it } from 'vitest';
import { closeDecision } from './close-rules.js';

describe('close rules', () => {
  const intake = (nodes: string[], deltas = nodes.length) => ({ deltas, samples: 0, nodes });
  const sync = { minNodes: 2, bufferSize: undefined };

  it('a synchronous round closes once minNodes reported and every expected node is in', () => {
    expect(closeDecision(sync, intake(['a', 'b']), ['a', 'b', 'c'], 0, 100)).toEqual({ close: false });
    expect(closeDecision(sync, intake(['a', 'b', 'c']), ['a', 'b', 'c'], 0, 100)).toEqual({ close: true, reason: 'complete' });
  });

  it('every expected node is not enough without minNodes', () => {
    expect(closeDecision({ minNodes: 3 }, intake(['a']), ['a'], 0, 100)).toEqual({ close: false });
  });

  it('at the deadline a round with minNodes closes and one without is insufficient', () => {
    expect(closeDecision(sync, intake(['a', 'b']), ['a', 'b', 'c'], 100, 100)).toEqual({ close: true, reason: 'deadline' });
    expect(closeDecision(sync, intake(['a']), ['a', 'b'], 100, 100)).toMatchObject({ close: true, reason: 'insufficient' });
  });

  it('async buffered mode closes on the buffer size without waiting for expected nodes', () => {
    const buffered = { minNodes: 2, bufferSize: 3 };
    expect(closeDecision(buffered, intake(['a', 'b'], 2), ['a', 'b', 'c'], 0, 100)).toEqual({ close: false });
    expect(closeDecision(buffered, intake(['a', 'b'], 3), ['a', 'b', 'c'], 0, 100)).toEqual({ close: true, reason: 'buffer-full' });
    expect(closeDecision(buffered, intake(['a'], 5), [], 0, 100)).toEqual({ close: false }); // one node is not enough
  });
});
