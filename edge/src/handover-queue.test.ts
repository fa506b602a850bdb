import type { StoredEvent } from '@edgerec/services/store';
import { describe, expect, it } from 'vitest';
import { HandoverQueue, MAX_QUEUED } from './handover-queue.js';

const ev = (seq: number, user = `u${seq % 3}`): StoredEvent => ({
  seq, eventId: `e${seq}`, user, item: 'i', itemIdx: 0, type: 'click', weight: 1, ts: 0, committedAt: 0,
});
const drain = (q: HandoverQueue) => {
  const out: number[] = [];
  for (let e = q.take(); e; e = q.take()) out.push(e.seq);
  return out;
};

describe('HandoverQueue', () => {
  it('holds one contiguous run; a gap starts a new run and leaves the rest to the log', () => {
    const q = new HandoverQueue();
    q.push([ev(5), ev(6)]);
    expect([q.from, q.upTo]).toEqual([5, 6]);
    q.push([ev(9), ev(10)]); // 7 and 8 were stored another way
    expect([q.from, q.upTo]).toEqual([9, 10]);
    expect(drain(q)).toEqual([9, 10]);
    q.push([ev(11)]);
    expect([q.from, q.upTo, q.size]).toEqual([9, 11, 1]);
  });

  it('drops an erased user\'s events and keeps the run bounds', () => {
    const q = new HandoverQueue();
    q.push([1, 2, 3, 4, 5, 6].map((s) => ev(s)));
    q.take();
    q.removeUser('u2');
    expect(drain(q)).toEqual([3, 4, 6]);
    expect([q.from, q.upTo]).toEqual([1, 6]);
  });

  it('keeps at most MAX_QUEUED events: the oldest move to the log side of the run', () => {
    const q = new HandoverQueue();
    q.push(Array.from({ length: MAX_QUEUED + 10 }, (_, i) => ev(i + 1)));
    expect(q.size).toBe(MAX_QUEUED);
    expect(q.from).toBe(11);
    expect(q.take()?.seq).toBe(11);
    q.clear();
    expect([q.from, q.size]).toEqual([0, 0]);
  });
});
