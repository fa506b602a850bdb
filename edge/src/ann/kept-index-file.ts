import { endianness } from 'node:os';
import zlib from 'node:zlib';
import { DomainError } from '@edgerec/proto-schemas';
import { z } from 'zod';

const u32 = z.number().int().min(0).max(0xffffffff);
const positiveInt = z.number().int().positive();

/**
 * What a kept ANN index was built from and with, and how to check its file. The meta file
 * that holds it is the commit record: an index file is kept only once a meta naming it
 * (with its size and crc32) has been renamed into place.
 */
export const KeptIndexHeader = z.object({
  format: z.literal(1),
  /** the hnswlib file, in the meta's folder (a plain name, no path) */
  indexFile: z.string().regex(/^[^/\\]+\.hnsw$/),
  indexBytes: positiveInt,
  indexCrc32: u32,
  /** crc32 of the fingerprint block that follows the header */
  fingerprintsCrc32: u32,
  /** global model version whose rows were copied */
  modelVersion: z.number().int().min(0),
  space: z.enum(['l2-mips', 'ip']),
  dim: positiveInt,
  count: positiveInt,
  maxNorm2: z.number().min(0),
  m: positiveInt,
  efConstruction: positiveInt,
  normHeadroom: z.number().positive(),
  seed: z.number().int(),
  /** wall clock at the commit (ms) */
  builtAt: z.number(),
});
export type KeptIndexHeader = z.infer<typeof KeptIndexHeader>;

/** A decoded meta file: the header and one rowFingerprint per indexed row. */
export interface KeptIndexMeta {
  header: KeptIndexHeader;
  fingerprints: Uint32Array;
}

const MAGIC = Buffer.from('EDGRANN1');
/** a 1M-row block is 4 MB: copied as bytes where the machine is little-endian, not word by word */
const LITTLE = endianness() === 'LE';
const bad = (msg: string) => new DomainError('bad_ann_index', 500, `kept ANN index: ${msg}`);

/**
 * The meta file's bytes: magic, u32 LE header length, the header as JSON, zero padding to
 * 4 bytes, then `count` fingerprints (u32 LE). Its crc32 is set here.
 *
 * @example
 * await writeFile(tmp, encodeKeptMeta({ ...header, fingerprintsCrc32: 0 }, fps));
 */
export function encodeKeptMeta(header: KeptIndexHeader, fingerprints: Uint32Array): Buffer {
  if (fingerprints.length !== header.count) throw new RangeError(`${fingerprints.length} fingerprints for ${header.count} rows`);
  let fp: Buffer;
  if (LITTLE) fp = Buffer.from(fingerprints.buffer, fingerprints.byteOffset, fingerprints.byteLength);
  else {
    fp = Buffer.alloc(fingerprints.length * 4);
    for (let i = 0; i < fingerprints.length; i++) fp.writeUInt32LE(fingerprints[i], i * 4);
  }
  const json = Buffer.from(JSON.stringify({ ...header, fingerprintsCrc32: zlib.crc32(fp) }));
  const pad = (4 - ((MAGIC.length + 4 + json.length) % 4)) % 4;
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  return Buffer.concat([MAGIC, len, json, Buffer.alloc(pad), fp]);
}

/**
 * Parses a meta file; throws DomainError `bad_ann_index` on anything that is not a whole,
 * intact one (other magic, short, bad header, fingerprint crc mismatch).
 *
 * @example
 * const { header, fingerprints } = decodeKeptMeta(await readFile(metaPath));
 */
export function decodeKeptMeta(buf: Buffer): KeptIndexMeta {
  if (buf.length < MAGIC.length + 4 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) throw bad('not a meta file');
  const jsonLen = buf.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4;
  if (start + jsonLen > buf.length) throw bad('truncated header');
  let parsed: unknown;
  try {
    parsed = JSON.parse(buf.subarray(start, start + jsonLen).toString('utf8'));
  } catch {
    throw bad('unreadable header');
  }
  const r = KeptIndexHeader.safeParse(parsed);
  if (!r.success) throw bad(`bad header: ${r.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  const header = r.data;
  const fpStart = start + jsonLen + ((4 - ((start + jsonLen) % 4)) % 4);
  const fp = buf.subarray(fpStart);
  if (fp.length !== header.count * 4) throw bad(`${fp.length} fingerprint bytes for ${header.count} rows`);
  if (zlib.crc32(fp) !== header.fingerprintsCrc32) throw bad('fingerprint block crc mismatch');
  const fingerprints = new Uint32Array(header.count);
  if (LITTLE) new Uint8Array(fingerprints.buffer).set(fp); // a copy: the block need not be 4-byte aligned in `buf`
  else for (let i = 0; i < header.count; i++) fingerprints[i] = fp.readUInt32LE(i * 4);
  return { header, fingerprints };
}
