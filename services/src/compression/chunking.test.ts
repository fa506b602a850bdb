import { describe, expect, it } from 'vitest';
import { DomainError } from '@edgerec/proto-schemas';
import { ChunkAssembler, sha256Hex, splitChunks, type Chunk } from './chunking.js';

const payload = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);

function chunksOf(id: string, bytes: Uint8Array, size: number, withSha = true): Chunk[] {
  const parts = splitChunks(bytes, size);
  const sha = sha256Hex(bytes);
  return parts.map((data, index) => ({ id, index, count: parts.length, data, ...(withSha ? { sha256: sha } : {}) }));
}

function clock(start = 0) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    return (e as DomainError).code;
  }
  throw new Error('expected a DomainError');
};

describe('splitChunks', () => {
  it('cuts into pieces of at most maxBytes that concatenate to the input', () => {
    const bytes = payload(300_000);
    const parts = splitChunks(bytes);
    expect(parts.map((p) => p.length)).toEqual([131072, 131072, 37856]);
    expect(Buffer.concat(parts).equals(Buffer.from(bytes))).toBe(true);
    expect(splitChunks(new Uint8Array(0)).length).toBe(1);
  });
});

describe('ChunkAssembler', () => {
  it('reassembles chunks that arrive out of order', () => {
    const asm = new ChunkAssembler({ now: clock().now });
    const bytes = payload(1000);
    const chunks = chunksOf('d1', bytes, 128);
    const order = [5, 0, 7, 2, 1, 6, 3, 4];
    const results = order.map((i) => asm.add(chunks[i]));
    expect(results.slice(0, -1).every((r) => r.status === 'pending')).toBe(true);
    const last = results.at(-1)!;
    expect(last.status).toBe('complete');
    if (last.status === 'complete') {
      expect(Buffer.from(last.bytes).equals(Buffer.from(bytes))).toBe(true);
      expect(last.sha256).toBe(sha256Hex(bytes));
    }
    expect(asm.pendingCount).toBe(0);
    expect(asm.pendingBytes).toBe(0);
  });

  it('ignores duplicate chunks', () => {
    const asm = new ChunkAssembler({ now: clock().now });
    const chunks = chunksOf('d1', payload(300), 100);
    expect(asm.add(chunks[0]).status).toBe('pending');
    expect(asm.add(chunks[0])).toMatchObject({ status: 'duplicate', received: 1, count: 3 });
    asm.add(chunks[1]);
    expect(asm.add(chunks[2]).status).toBe('complete');
  });

  it('rejects a payload whose bytes do not match its sha256, and forgets it', () => {
    const asm = new ChunkAssembler({ now: clock().now });
    const chunks = chunksOf('d1', payload(300), 100);
    const tampered = { ...chunks[1], data: chunks[1].data.slice() };
    tampered.data[0] ^= 1;
    asm.add(chunks[0]);
    asm.add(tampered);
    expect(codeOf(() => asm.add(chunks[2]))).toBe('chunk_hash_mismatch');
    expect(asm.pendingCount).toBe(0);
  });

  it('rejects an inconsistent chunk count, an index out of range, and a differing hash', () => {
    const asm = new ChunkAssembler({ now: clock().now });
    const chunks = chunksOf('d1', payload(300), 100);
    asm.add(chunks[0]);
    expect(codeOf(() => asm.add({ ...chunks[1], count: 4 }))).toBe('bad_chunk');
    expect(asm.pendingCount).toBe(0);
    expect(codeOf(() => asm.add({ ...chunks[0], index: 3 }))).toBe('bad_chunk');
    asm.add(chunks[0]);
    expect(codeOf(() => asm.add({ ...chunks[1], sha256: 'a'.repeat(64) }))).toBe('bad_chunk');
  });

  it('enforces chunk-count, payload-size, pending-count and pending-bytes limits', () => {
    const c = clock();
    const small = new ChunkAssembler({ now: c.now, maxChunks: 2, maxAssemblyBytes: 150, maxPending: 2, maxPendingBytes: 250 });
    expect(codeOf(() => small.add(chunksOf('a', payload(300), 100)[0]))).toBe('chunk_too_large');
    const big = chunksOf('b', payload(200), 100);
    small.add(big[0]);
    expect(codeOf(() => small.add({ ...big[1], data: payload(60) }))).toBe('chunk_too_large');
    small.add(chunksOf('c', payload(200), 100)[0]);
    small.add(chunksOf('d', payload(200), 100)[0]);
    expect(small.pendingCount).toBe(2);
    expect(codeOf(() => small.add(chunksOf('e', payload(200), 100)[0]))).toBe('too_many_pending');
    const tight = new ChunkAssembler({ now: c.now, maxPendingBytes: 250 });
    tight.add(chunksOf('f', payload(400), 200)[0]);
    expect(codeOf(() => tight.add(chunksOf('g', payload(400), 200)[0]))).toBe('too_many_pending');
    expect(tight.pendingCount).toBe(1);
  });

  it('evicts assemblies idle longer than the TTL, measured from the last chunk', () => {
    const c = clock(1000);
    const asm = new ChunkAssembler({ now: c.now, ttlMs: 100 });
    const slow = chunksOf('slow', payload(300), 100);
    const idle = chunksOf('idle', payload(300), 100);
    asm.add(slow[0]);
    asm.add(idle[0]);
    c.advance(80);
    asm.add(slow[1]);
    c.advance(80);
    expect(asm.evictExpired()).toEqual(['idle']);
    expect(asm.add(slow[2]).status).toBe('complete');
    // the evicted payload starts over: its first chunk is new again
    expect(asm.add(idle[1])).toMatchObject({ status: 'pending', received: 1 });
  });

  it('completes without a hash when none was announced', () => {
    const asm = new ChunkAssembler({ now: clock().now });
    const [only] = chunksOf('x', payload(10), 100, false);
    const r = asm.add(only);
    expect(r.status).toBe('complete');
  });
});
