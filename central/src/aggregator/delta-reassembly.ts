import { DomainError, isDomainError, type DeltaChunkMsg } from '@edgerec/proto-schemas';
import { ChunkAssembler } from '@edgerec/services/compression';

/** Memory bounds of delta reassembly (DESIGN §5: a hostile sender cannot exhaust central). */
export interface ChunkLimits {
  /** most chunks per delta (default 1024) */
  maxChunks: number;
  /** most bytes per delta (default 32 MiB) */
  maxDeltaBytes: number;
  /** most deltas assembling at once over all nodes (default 64) */
  maxPending: number;
  /** most deltas assembling at once per node, so one node cannot take every slot (default 4) */
  maxPendingPerNode: number;
  /** most bytes held over all assemblies (default 256 MiB) */
  maxPendingBytes: number;
  /** an assembly with no new chunk for this long is dropped (default 2 min) */
  ttlMs: number;
}

export const DEFAULT_CHUNK_LIMITS: ChunkLimits = {
  maxChunks: 1024,
  maxDeltaBytes: 32 * 1024 * 1024,
  maxPending: 64,
  maxPendingPerNode: 4,
  maxPendingBytes: 256 * 1024 * 1024,
  ttlMs: 120_000,
};

type Header = Omit<DeltaChunkMsg, 'chunkIndex' | 'data'>;

/**
 * Reassembles chunked deltas per (node, deltaId) on top of `ChunkAssembler`, adding what
 * the protocol needs: a per-node cap, an up-front size check from the header (so a
 * 4096-chunk announcement is refused at its first chunk), and header consistency across
 * chunks. Refusals come back as DomainError values (codes: bad_chunk, chunk_too_large,
 * chunk_hash_mismatch, too_many_pending, size_mismatch), never thrown.
 *
 * @example
 * const r = reassembly.add(chunkMsg);
 * if (r instanceof Uint8Array) decodeDelta(r);
 */
export class DeltaReassembly {
  private readonly assembler: ChunkAssembler;
  private readonly tracked = new Map<string, { nodeId: string; header: Header; lastSeen: number }>();

  constructor(
    readonly limits: ChunkLimits,
    private readonly now: () => number,
  ) {
    this.assembler = new ChunkAssembler({
      now, ttlMs: limits.ttlMs, maxChunks: limits.maxChunks, maxAssemblyBytes: limits.maxDeltaBytes,
      maxPending: limits.maxPending, maxPendingBytes: limits.maxPendingBytes,
    });
  }

  get pendingCount(): number {
    return this.assembler.pendingCount;
  }

  get pendingBytes(): number {
    return this.assembler.pendingBytes;
  }

  /** The whole payload once its last chunk arrived, 'pending' before, or why it was refused. */
  add(m: DeltaChunkMsg): Uint8Array | 'pending' | DomainError {
    const key = `${m.nodeId}/${m.deltaId}`;
    const header = headerOf(m);
    const first = this.tracked.get(key)?.header;
    if (first && !sameHeader(first, header)) {
      this.forget(key);
      return new DomainError('bad_chunk', 400, 'chunk header differs from earlier chunks of the delta');
    }
    if (!first) {
      this.sweep();
      const mine = [...this.tracked.values()].filter((t) => t.nodeId === m.nodeId).length;
      if (mine >= this.limits.maxPendingPerNode) {
        return new DomainError('too_many_pending', 429, `node already has ${mine} deltas assembling`);
      }
      if (m.totalBytes > this.limits.maxDeltaBytes || m.chunkCount > this.limits.maxChunks) {
        return new DomainError('chunk_too_large', 413, `delta of ${m.totalBytes} bytes in ${m.chunkCount} chunks exceeds the limits`);
      }
    }
    try {
      const res = this.assembler.add({ id: key, index: m.chunkIndex, count: m.chunkCount, data: m.data, sha256: m.sha256 });
      if (res.status !== 'complete') {
        this.tracked.set(key, { nodeId: m.nodeId, header: first ?? header, lastSeen: this.now() });
        return 'pending';
      }
      this.forget(key);
      if (res.bytes.byteLength !== m.totalBytes) {
        return new DomainError('size_mismatch', 400, `delta is ${res.bytes.byteLength} bytes, header says ${m.totalBytes}`);
      }
      return res.bytes;
    } catch (e) {
      this.forget(key);
      if (isDomainError(e)) return e;
      throw e;
    }
  }

  /** Drops assemblies idle for longer than the TTL; returns their keys (`nodeId/deltaId`). */
  sweep(): string[] {
    const expired = new Set(this.assembler.evictExpired());
    // The assembler also evicts inside add(); reconcile our bookkeeping with our own clock.
    const now = this.now();
    for (const [key, t] of this.tracked) if (now - t.lastSeen > this.limits.ttlMs) expired.add(key);
    for (const key of expired) this.forget(key);
    return [...expired];
  }

  private forget(key: string): void {
    this.assembler.drop(key);
    this.tracked.delete(key);
  }
}

function headerOf(m: DeltaChunkMsg): Header {
  const { chunkIndex: _i, data: _d, ...header } = m;
  return header;
}

function sameHeader(a: Header, b: Header): boolean {
  return a.baseVersion === b.baseVersion && a.samples === b.samples && a.codec === b.codec && a.roundId === b.roundId &&
    a.totalBytes === b.totalBytes && a.sha256 === b.sha256 && a.chunkCount === b.chunkCount &&
    a.window.fromEventSeq === b.window.fromEventSeq && a.window.toEventSeq === b.window.toEventSeq;
}
