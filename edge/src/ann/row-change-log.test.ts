import { describe, expect, it } from 'vitest';
import { RowChangeLog } from './row-change-log.js';

describe('RowChangeLog', () => {
  it('marks rows whose count moved since the last look, each once', () => {
    const counts = new Uint32Array(6);
    counts[2] = 4;
    const log = new RowChangeLog(counts, 10);
    log.look(counts);
    expect(log.changed).toBe(0);
    counts[2]++;
    counts[4]++;
    log.look(counts);
    counts[4]++;
    log.look(counts);
    expect(log.changed).toBe(2);
    expect([...log.rows()!].sort()).toEqual([2, 4]);
  });

  it('a count reset by the uplink (extraction) marks its row: a change is never missed', () => {
    const counts = new Uint32Array([3, 0, 0]);
    const log = new RowChangeLog(counts, 10);
    counts[0] = 5; // touched after the build, then the delta is cut and the tracker reset before the next look
    counts.fill(0);
    log.look(counts);
    expect(log.rows()).toEqual([0]);
  });

  it('past maxListed it keeps counting but lists nothing; a grown table is read too', () => {
    const log = new RowChangeLog(new Uint32Array(4), 2);
    log.look(new Uint32Array([1, 1, 0, 0]));
    expect(log.rows()).toEqual([0, 1]);
    log.look(new Uint32Array([1, 1, 1, 0, 0, 7]));
    expect(log.changed).toBe(4);
    expect(log.rows()).toBeNull();
  });

  it('after a model swap it is all-changed, and lists only rows the learner writes from then on', () => {
    const counts = new Uint32Array([2, 2, 0]);
    const log = new RowChangeLog(counts, 10);
    counts.fill(0); // ModelHolder.swap resets the tracker before its listeners run
    log.modelSwapped(counts);
    log.look(counts);
    expect(log.swapped).toBe(true);
    expect(log.rows()).toEqual([]);
    counts[2] = 1;
    log.look(counts);
    expect(log.rows()).toEqual([2]);
  });

  it('mark() flags a row once whatever its count, and a later look does not count it again', () => {
    const counts = new Uint32Array(5);
    const log = new RowChangeLog(counts, 10);
    log.mark(3);
    log.mark(3);
    expect(log.rows()).toEqual([3]);
    counts[3] = 1;
    counts[1] = 1;
    log.look(counts);
    expect(log.changed).toBe(2);
    expect(log.rows()).toEqual([3, 1]);
  });
});
