import { describe, expect, it } from 'vitest';
import { decodeKeptMeta, encodeKeptMeta, type KeptIndexHeader } from './kept-index-file.js';

const header: KeptIndexHeader = {
  format: 1, indexFile: 'edge.db-ann.1-1-abc.hnsw', indexBytes: 1234, indexCrc32: 99, fingerprintsCrc32: 0, modelVersion: 4,
  space: 'l2-mips', dim: 8, count: 5, maxNorm2: 2.5, m: 32, efConstruction: 200, normHeadroom: 1.2, seed: 100, builtAt: 1_700_000_000_000,
};
const fps = Uint32Array.of(1, 0xffffffff, 7, 0, 123456789);

describe('kept index meta file', () => {
  it('round-trips the header and the fingerprints, setting the fingerprint crc', () => {
    const { header: h, fingerprints } = decodeKeptMeta(encodeKeptMeta(header, fps));
    expect(fingerprints).toEqual(fps);
    expect(h).toEqual({ ...h, ...header, fingerprintsCrc32: expect.any(Number) });
    expect(h.fingerprintsCrc32).not.toBe(0);
  });

  it.each([
    ['another file', (b: Buffer) => Buffer.concat([Buffer.from('SQLite f'), b.subarray(8)]), /not a meta file/],
    ['a cut header', (b: Buffer) => b.subarray(0, 30), /truncated header/],
    ['a cut fingerprint block', (b: Buffer) => b.subarray(0, b.length - 4), /fingerprint bytes/],
    ['an altered fingerprint', (b: Buffer) => Buffer.concat([b.subarray(0, b.length - 1), Buffer.of(b[b.length - 1] ^ 1)]), /crc mismatch/],
  ])('refuses %s with bad_ann_index', (_, damage, why) => {
    expect(() => decodeKeptMeta(damage(encodeKeptMeta(header, fps)))).toThrow(expect.objectContaining({ code: 'bad_ann_index', message: expect.stringMatching(why) }));
  });

  it('refuses a header naming a file outside its folder, and a fingerprint count that is not the row count', () => {
    expect(() => decodeKeptMeta(encodeKeptMeta({ ...header, indexFile: '../x.hnsw' }, fps))).toThrow(/indexFile/);
    expect(() => encodeKeptMeta(header, fps.subarray(1))).toThrow(RangeError);
  });
});
