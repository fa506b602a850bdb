import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decode, encode } from './codec.js';
import { MAX_CHUNK_BYTES, MAX_MESSAGE_BYTES } from './limits.js';
import { deltaChunkArb, messageCases } from './message-arbitraries.js';
import { DeltaChunkMsg } from './node-messages.js';

const codes = ['malformed', 'invalid', 'unsupported_version', 'too_large'];

describe('encode → decode', () => {
  for (const { name, schema, arb } of messageCases) {
    it(`${name} survives a round trip unchanged`, () => {
      fc.assert(
        fc.property(arb, (msg) => {
          const r = decode(schema, encode(msg));
          if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
          expect(r.value).toEqual(msg);
        }),
        { numRuns: 150 },
      );
    });
  }

  it('returns byte fields as plain Uint8Array rather than Buffer', () => {
    const msg = fc.sample(deltaChunkArb, { numRuns: 1, seed: 7 })[0];
    const r = decode(DeltaChunkMsg, encode({ ...msg, data: new Uint8Array([1, 2, 3]), totalBytes: 3 }));
    expect(r.ok && r.value.data.constructor).toBe(Uint8Array);
    expect(r.ok && Array.from(r.value.data)).toEqual([1, 2, 3]);
  });

  it('writes bytes as msgpack bin and maps without msgpackr extensions', () => {
    const bytes = encode({ v: 1, d: new Uint8Array([9, 8]) });
    const hex = Buffer.from(bytes).toString('hex');
    expect(hex).toContain('a17601'); // "v": 1 as fixstr + fixint
    expect(hex).toContain('a164c4020908'); // "d": bin8 of 2 bytes
    expect(hex).not.toMatch(/^d[4-8]/); // no ext header up front
  });

  it('accepts a full 128 KiB chunk and refuses one byte more', () => {
    const base = fc.sample(deltaChunkArb, { numRuns: 1, seed: 3 })[0];
    const fits = { ...base, chunkCount: 1, chunkIndex: 0, totalBytes: MAX_CHUNK_BYTES, data: new Uint8Array(MAX_CHUNK_BYTES) };
    expect(decode(DeltaChunkMsg, encode(fits)).ok).toBe(true);
    const over = { ...fits, totalBytes: MAX_CHUNK_BYTES + 1, data: new Uint8Array(MAX_CHUNK_BYTES + 1) };
    const r = decode(DeltaChunkMsg, encode(over));
    expect(!r.ok && r.error.code).toBe('invalid');
  });
});

describe('decode refusals', () => {
  for (const { name, schema } of messageCases) {
    it(`never throws on random bytes for ${name} and returns a typed error or a valid value`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
          const r = decode(schema, bytes);
          if (r.ok) expect(schema.safeParse(r.value).success).toBe(true);
          else expect(codes).toContain(r.error.code);
        }),
        { numRuns: 300 },
      );
    });
  }

  it('never throws on valid messages with corrupted or truncated bytes', () => {
    for (const { schema, arb } of messageCases) {
      fc.assert(
        fc.property(arb, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean(), (msg, at, byte, truncate) => {
          const bytes = new Uint8Array(encode(msg));
          const i = at % bytes.length;
          const mutated = truncate ? bytes.subarray(0, i) : (bytes.set([byte], i), bytes);
          const r = decode(schema, mutated);
          expect(r.ok || codes.includes(r.error.code)).toBe(true);
        }),
        { numRuns: 60 },
      );
    }
  });

  it('refuses a message with another protocol version as unsupported_version', () => {
    for (const { schema, arb } of messageCases) {
      fc.assert(
        fc.property(arb, fc.oneof(fc.integer().filter((v) => v !== 1), fc.constant('1'), fc.constant(null)), (msg, v) => {
          const r = decode(schema, encode({ ...msg, v }));
          expect(!r.ok && r.error.code).toBe('unsupported_version');
        }),
        { numRuns: 20 },
      );
    }
  });

  it('reports a message without v as invalid', () => {
    const [msg] = fc.sample(deltaChunkArb, { numRuns: 1, seed: 1 });
    const { v: _v, ...unversioned } = msg;
    const r = decode(DeltaChunkMsg, encode(unversioned));
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect(!r.ok && r.error.message).toMatch(/^v:/);
  });

  it('refuses payloads over the size cap before unpacking them', () => {
    const big = new Uint8Array(MAX_MESSAGE_BYTES + 1);
    expect(decode(DeltaChunkMsg, big)).toMatchObject({ ok: false, error: { code: 'too_large' } });
    const small = encode({ v: 1, x: 'y'.repeat(100) });
    expect(decode(z.unknown(), small, 50)).toMatchObject({ ok: false, error: { code: 'too_large' } });
    expect(decode(z.unknown(), small, small.byteLength).ok).toBe(true);
  });

  it('reports empty, trailing-garbage and non-binary payloads as malformed', () => {
    const one = encode({ v: 1 });
    const withTrailer = new Uint8Array([...one, 0x01]);
    for (const bytes of [new Uint8Array(0), withTrailer, new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff])]) {
      expect(decode(z.unknown(), bytes)).toMatchObject({ ok: false, error: { code: 'malformed' } });
    }
    expect(decode(z.unknown(), 'not bytes' as unknown as Uint8Array)).toMatchObject({ ok: false, error: { code: 'malformed' } });
  });

  it('names the offending field of an invalid message', () => {
    const [msg] = fc.sample(deltaChunkArb, { numRuns: 1, seed: 5 });
    const r = decode(DeltaChunkMsg, encode({ ...msg, sha256: 'ABC', chunkIndex: msg.chunkCount }));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.message).toContain('sha256');
  });

  it('turns a throwing refinement into invalid instead of throwing', () => {
    const schema = z.object({ v: z.literal(1) }).refine(() => {
      throw new Error('boom');
    });
    expect(decode(schema, encode({ v: 1 }))).toEqual({ ok: false, error: { code: 'invalid', message: 'boom' } });
  });
});
