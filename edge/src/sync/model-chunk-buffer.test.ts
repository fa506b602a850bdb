import { describe, expect, it } from 'vitest';
import type { ModelChunkMsg } from '@edgerec/proto-schemas';
import { ModelChunkBuffer } from './model-chunk-buffer.js';

const chunk = (version: number, index: number, count: number, bytes: number[], kind: ModelChunkMsg['kind'] = 'snapshot'): ModelChunkMsg => ({
  v: 1, version, index, count, kind, data: new Uint8Array(bytes),
});

describe('ModelChunkBuffer', () => {
  it('assembles an artifact from chunks in any order and ignores duplicates', () => {
    const buf = new ModelChunkBuffer({ maxBytes: 100 });
    expect(buf.add(chunk(2, 1, 3, [3, 4]))).toBe(true);
    expect(buf.complete(2, 'snapshot', 3)).toBeNull();
    buf.add(chunk(2, 2, 3, [5]));
    expect(buf.add(chunk(2, 1, 3, [9, 9]))).toBe(false);
    buf.add(chunk(2, 0, 3, [1, 2]));
    expect(Array.from(buf.complete(2, 'snapshot', 3)!)).toEqual([1, 2, 3, 4, 5]);
    expect(buf.complete(2, 'patch', 3)).toBeNull();
  });

  it('stays within its byte budget by dropping the oldest release, never a newer one', () => {
    const buf = new ModelChunkBuffer({ maxBytes: 6 });
    buf.add(chunk(3, 0, 2, [1, 1, 1]));
    buf.add(chunk(4, 0, 2, [2, 2, 2]));
    expect(buf.bytes).toBe(6);
    expect(buf.add(chunk(5, 0, 1, [3, 3]))).toBe(true); // evicts version 3
    expect(buf.bytes).toBe(5);
    expect(buf.add(chunk(2, 0, 1, [4, 4, 4]))).toBe(false); // an older release never displaces newer ones
    expect(buf.complete(5, 'snapshot', 1)).not.toBeNull();
    buf.dropBelow(5);
    expect(buf.bytes).toBe(2);
  });
});
