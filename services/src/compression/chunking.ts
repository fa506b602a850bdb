import { createHash } from 'node:crypto';
import { DomainError, MAX_CHUNK_BYTES, MAX_DELTA_CHUNKS } from '@edgerec/proto-schemas';

/** Default chunk size: the wire contract's MAX_CHUNK_BYTES (128 KiB, keeps QoS 1 retries cheap). */
export const DEFAULT_CHUNK_BYTES = MAX_CHUNK_BYTES;

/**
 * Splits bytes into chunks of at most `maxBytes` (views, no copy). Empty input gives one
 * empty chunk so that every payload has a chunk count ≥ 1.
 *
 * @example
 * splitChunks(new Uint8Array(300_000)).map((c) => c.length); // [131072, 131072, 37856]
 */
export function splitChunks(bytes: Uint8Array, maxBytes = DEFAULT_CHUNK_BYTES): Uint8Array[] {
  if (!(Number.isInteger(maxBytes) && maxBytes > 0)) throw new RangeError(`bad chunk size ${maxBytes}`);
  if (bytes.length === 0) return [bytes.subarray(0, 0)];
  const out: Uint8Array[] = [];
  for (let off = 0; off < bytes.length; off += maxBytes) out.push(bytes.subarray(off, off + maxBytes));
  return out;
}

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export interface Chunk {
  /** payload id (e.g. the deltaId or model version) */
  id: string;
  index: number;
  count: number;
  data: Uint8Array;
  /** sha256 (lowercase hex) of the whole payload; verified on completion when present */
  sha256?: string;
}

export interface ChunkAssemblerOptions {
  /** injected clock, ms */
  now: () => number;
  /** an assembly with no new chunk for this long is dropped (default 5 min) */
  ttlMs?: number;
  /** most chunks per payload (default MAX_DELTA_CHUNKS; model artifacts may need MAX_MODEL_CHUNKS) */
  maxChunks?: number;
  /** most bytes per payload (default 64 MiB) */
  maxAssemblyBytes?: number;
  /** most payloads assembling at once (default 64) */
  maxPending?: number;
  /** most bytes held over all pending payloads (default 256 MiB) */
  maxPendingBytes?: number;
}

export type ChunkResult =
  | { status: 'pending'; id: string; received: number; count: number }
  | { status: 'duplicate'; id: string; received: number; count: number }
  | { status: 'complete'; id: string; bytes: Uint8Array; sha256: string };

interface Assembly {
  count: number;
  sha256: string | undefined;
  parts: (Uint8Array | undefined)[];
  received: number;
  bytes: number;
  lastSeen: number;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Collects chunks by payload id in any order and returns the payload when the last one
 * arrives. Duplicates are ignored (first copy wins; the hash catches a corrupted one).
 * Limits bound memory against a misbehaving or hostile sender; a payload that breaks a rule
 * is dropped and the chunk that broke it throws DomainError:
 * `bad_chunk` (400, inconsistent index/count/hash), `chunk_hash_mismatch` (400),
 * `chunk_too_large` (413), `too_many_pending` (429, retry later).
 *
 * A completed id is forgotten: re-sent chunks start a new assembly, so deduplicating whole
 * payloads by id is the caller's job (central dedupes deltas by deltaId).
 *
 * @example
 * const asm = new ChunkAssembler({ now: Date.now });
 * const r = asm.add({ id, index: 0, count: 1, data, sha256: sha256Hex(data) });
 * if (r.status === 'complete') handle(r.bytes);
 */
export class ChunkAssembler {
  private readonly pending = new Map<string, Assembly>();
  private heldBytes = 0;
  private readonly opts: Required<ChunkAssemblerOptions>;

  constructor(opts: ChunkAssemblerOptions) {
    this.opts = {
      ttlMs: 5 * 60_000, maxChunks: MAX_DELTA_CHUNKS, maxAssemblyBytes: 64 * 1024 * 1024,
      maxPending: 64, maxPendingBytes: 256 * 1024 * 1024, ...opts,
    };
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  get pendingBytes(): number {
    return this.heldBytes;
  }

  add(chunk: Chunk): ChunkResult {
    const now = this.opts.now();
    this.evictExpired();
    const { id, index, count, data, sha256 } = chunk;
    if (!(Number.isInteger(count) && count >= 1)) throw new DomainError('bad_chunk', 400, `${id}: bad chunk count ${count}`);
    if (!(Number.isInteger(index) && index >= 0 && index < count)) {
      throw new DomainError('bad_chunk', 400, `${id}: chunk index ${index} outside 0..${count - 1}`);
    }
    if (sha256 !== undefined && !SHA256_HEX.test(sha256)) throw new DomainError('bad_chunk', 400, `${id}: bad sha256`);
    if (count > this.opts.maxChunks) throw new DomainError('chunk_too_large', 413, `${id}: ${count} chunks > ${this.opts.maxChunks}`);
    let a = this.pending.get(id);
    if (!a) {
      if (this.pending.size >= this.opts.maxPending) {
        throw new DomainError('too_many_pending', 429, `${this.pending.size} payloads already assembling`);
      }
      a = { count, sha256, parts: new Array(count), received: 0, bytes: 0, lastSeen: now };
      this.pending.set(id, a);
    }
    if (a.count !== count) this.fail(id, 'bad_chunk', 400, `chunk count ${count} ≠ ${a.count} seen before`);
    if (sha256 !== undefined) {
      if (a.sha256 === undefined) a.sha256 = sha256;
      else if (a.sha256 !== sha256) this.fail(id, 'bad_chunk', 400, 'sha256 differs between chunks');
    }
    a.lastSeen = now;
    if (a.parts[index]) return { status: 'duplicate', id, received: a.received, count };
    if (a.bytes + data.length > this.opts.maxAssemblyBytes) {
      this.fail(id, 'chunk_too_large', 413, `payload exceeds ${this.opts.maxAssemblyBytes} bytes`);
    }
    if (this.heldBytes + data.length > this.opts.maxPendingBytes) {
      if (a.received === 0) this.drop(id);
      throw new DomainError('too_many_pending', 429, `pending payloads hold ${this.heldBytes} bytes`);
    }
    a.parts[index] = data;
    a.received++;
    a.bytes += data.length;
    this.heldBytes += data.length;
    if (a.received < count) return { status: 'pending', id, received: a.received, count };
    return this.complete(id, a);
  }

  /** Drops assemblies idle for longer than the TTL; returns their ids. */
  evictExpired(): string[] {
    const now = this.opts.now();
    const evicted: string[] = [];
    for (const [id, a] of this.pending) {
      if (now - a.lastSeen > this.opts.ttlMs) {
        this.drop(id);
        evicted.push(id);
      }
    }
    return evicted;
  }

  drop(id: string): void {
    const a = this.pending.get(id);
    if (!a) return;
    this.heldBytes -= a.bytes;
    this.pending.delete(id);
  }

  private complete(id: string, a: Assembly): ChunkResult {
    this.drop(id);
    const bytes = new Uint8Array(a.bytes);
    let off = 0;
    for (const p of a.parts) {
      bytes.set(p!, off);
      off += p!.length;
    }
    const digest = sha256Hex(bytes);
    if (a.sha256 !== undefined && a.sha256 !== digest) {
      throw new DomainError('chunk_hash_mismatch', 400, `${id}: sha256 ${digest} ≠ expected ${a.sha256}`);
    }
    return { status: 'complete', id, bytes, sha256: digest };
  }

  private fail(id: string, code: string, status: number, msg: string): never {
    this.drop(id);
    throw new DomainError(code, status, `${id}: ${msg}`);
  }
}
