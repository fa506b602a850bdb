import type { ModelChunkMsg } from '@edgerec/proto-schemas';

type Kind = ModelChunkMsg['kind'];

interface Assembly {
  version: number;
  kind: Kind;
  count: number;
  parts: (Uint8Array | undefined)[];
  received: number;
  bytes: number;
}

/**
 * Collects downlink artifact chunks (snapshot and patch, any order, duplicates ignored) for
 * model versions newer than the one installed, within a byte budget: when a chunk would
 * exceed it, the assemblies of the lowest versions are dropped first (a newer release makes
 * them useless). Chunks arrive before their manifest (central publishes the manifest last),
 * so they are kept until the manifest says which artifact to use.
 *
 * @example
 * const buf = new ModelChunkBuffer({ maxBytes: 64 << 20 });
 * buf.add(chunk);
 * const bytes = buf.complete(5, 'snapshot', manifest.chunkCount); // null until every chunk arrived
 */
export class ModelChunkBuffer {
  private readonly assemblies = new Map<string, Assembly>();
  private held = 0;
  private readonly maxBytes: number;
  private readonly maxAssemblies: number;

  constructor(opts: { maxBytes: number; maxAssemblies?: number }) {
    this.maxBytes = opts.maxBytes;
    this.maxAssemblies = opts.maxAssemblies ?? 8;
  }

  /** Bytes held over all assemblies. */
  get bytes(): number {
    return this.held;
  }

  /** Stores a chunk; returns false when it was a duplicate or could not be kept. */
  add(c: ModelChunkMsg): boolean {
    const key = `${c.version}/${c.kind}`;
    let a = this.assemblies.get(key);
    if (a && a.count !== c.count) {
      this.drop(key); // a re-publication with another chunking: start over
      a = undefined;
    }
    if (!a) {
      a = { version: c.version, kind: c.kind, count: c.count, parts: new Array(c.count), received: 0, bytes: 0 };
      this.assemblies.set(key, a);
    }
    if (a.parts[c.index]) return false;
    if (!this.makeRoom(c.data.byteLength, c.version) || this.assemblies.get(key) !== a) return false;
    a.parts[c.index] = c.data;
    a.received++;
    a.bytes += c.data.byteLength;
    this.held += c.data.byteLength;
    return true;
  }

  /** The whole artifact when all `count` chunks of it are here, else null. */
  complete(version: number, kind: Kind, count: number): Uint8Array | null {
    const a = this.assemblies.get(`${version}/${kind}`);
    if (!a || a.count !== count || a.received < count) return null;
    const out = new Uint8Array(a.bytes);
    let off = 0;
    for (const p of a.parts) {
      out.set(p!, off);
      off += p!.byteLength;
    }
    return out;
  }

  /** Forgets every assembly of a version below `version`. */
  dropBelow(version: number): void {
    for (const [key, a] of this.assemblies) if (a.version < version) this.drop(key);
  }

  /** Forgets one artifact (e.g. after its hash failed). */
  dropArtifact(version: number, kind: Kind): void {
    this.drop(`${version}/${kind}`);
  }

  private makeRoom(bytes: number, version: number): boolean {
    if (bytes > this.maxBytes) return false;
    while (this.held + bytes > this.maxBytes || this.assemblies.size > this.maxAssemblies) {
      const lowest = [...this.assemblies.entries()].sort((x, y) => x[1].version - y[1].version)[0];
      // Never evict a newer release to make room for an older one.
      if (!lowest || lowest[1].version > version) return false;
      this.drop(lowest[0]);
      if (lowest[1].version === version && this.held + bytes > this.maxBytes) return false;
    }
    return true;
  }

  private drop(key: string): void {
    const a = this.assemblies.get(key);
    if (!a) return;
    this.held -= a.bytes;
    this.assemblies.delete(key);
  }
}
