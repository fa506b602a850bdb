import { describe, expect, it } from 'vitest';
import { ManualScheduler } from '@edgerec/services/common';
import { SerialQueue } from './serial-queue.js';

describe('ManualScheduler', () => {
  it('fires due timers in time order with the clock at each timer', () => {
    const s = new ManualScheduler(1000);
    const fired: [string, number][] = [];
    s.setTimer(300, () => fired.push(['b', s.now()]));
    s.setTimer(100, () => fired.push(['a', s.now()]));
    const cancel = s.setTimer(200, () => fired.push(['x', s.now()]));
    cancel();
    s.advance(250);
    expect(fired).toEqual([['a', 1100]]);
    expect(s.now()).toBe(1250);
    s.advance(100);
    expect(fired).toEqual([['a', 1100], ['b', 1300]]);
  });

  it('timers set by a firing timer run within the same advance when due', () => {
    const s = new ManualScheduler(0);
    const fired: number[] = [];
    s.setTimer(10, () => s.setTimer(10, () => fired.push(s.now())));
    s.advance(30);
    expect(fired).toEqual([20]);
  });
});

describe('SerialQueue', () => {
  it('runs tasks one at a time in order, and a failure does not stop the next', async () => {
    const q = new SerialQueue();
    const log: string[] = [];
    const a = q.run(async () => {
      log.push('a1');
      await Promise.resolve();
      log.push('a2');
    });
    const b = q.run(() => {
      throw new Error('b failed');
    });
    const c = q.run(() => log.push('c'));
    await a;
    await expect(b).rejects.toThrow('b failed');
    await c;
    await q.idle();
    expect(log).toEqual(['a1', 'a2', 'c']);
  });
});
