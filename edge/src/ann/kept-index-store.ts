import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import zlib from 'node:zlib';
import { DomainError } from '@edgerec/proto-schemas';
import type { IndexFileSum } from './ann-build-worker.js';
import { decodeKeptMeta, encodeKeptMeta, type KeptIndexHeader, type KeptIndexMeta } from './kept-index-file.js';

/** A kept index as read from disk: its meta, and where its files are. */
export interface KeptIndex extends KeptIndexMeta {
  metaPath: string;
  indexPath: string;
}

/** What a build knows of the index it is committing (the store adds the file's name and sums). */
export type KeptIndexBuild = Omit<KeptIndexHeader, 'format' | 'indexFile' | 'indexBytes' | 'indexCrc32' | 'fingerprintsCrc32' | 'builtAt'>;

const bad = (msg: string) => new DomainError('bad_ann_index', 500, `kept ANN index: ${msg}`);

/**
 * The ANN index an edge keeps next to its database across restarts: `<base>-ann.meta` (the
 * commit record: header + row fingerprints, kept-index-file.ts) and the hnswlib file it
 * names, `<base>-ann.<pid>-<n>-<rand>.hnsw`. A build writes (and fsyncs) a new uniquely
 * named index file, then `commit` writes the meta to a temp file, fsyncs it, renames it
 * over the old one and fsyncs the folder: a crash at any point leaves either the old pair or
 * the new one, plus files no meta names, which `sweep` removes at the next start. So at
 * most one index is kept and at most one more is in flight.
 *
 * @example
 * const store = new KeptIndexStore('/data/edge-1.db');
 * const kept = await store.read();          // null when none; throws bad_ann_index when corrupt
 * await store.sweep(kept?.header.indexFile ?? null);
 * if (kept) await store.verify(kept);       // size and crc32 of the index file
 */
export class KeptIndexStore {
  readonly dir: string;
  readonly metaPath: string;
  private readonly prefix: string;
  private seq = 0;

  constructor(
    basePath: string,
    private readonly clock: () => number = Date.now,
  ) {
    this.dir = dirname(basePath);
    this.prefix = `${basename(basePath)}-ann.`;
    this.metaPath = join(this.dir, `${this.prefix}meta`);
  }

  /** A fresh path for a build to write its index to (not kept until `commit`). */
  newIndexPath(): string {
    return join(this.dir, `${this.prefix}${process.pid}-${++this.seq}-${randomBytes(3).toString('hex')}.hnsw`);
  }

  /** The kept meta; null when there is none. Throws DomainError `bad_ann_index` when it is unreadable or corrupt. */
  async read(): Promise<KeptIndex | null> {
    let buf: Buffer;
    try {
      buf = await readFile(this.metaPath);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    const meta = decodeKeptMeta(buf);
    return { ...meta, metaPath: this.metaPath, indexPath: join(this.dir, meta.header.indexFile) };
  }

  /**
   * Checks the index file's size, then its crc32 in 1 MB reads (each a fraction of a
   * millisecond on this thread, so requests keep flowing). Throws `bad_ann_index` on a
   * missing, short, long or altered file: hnswlib's own check catches a wrong length but
   * would load altered link lists and crash on the first search.
   */
  async verify(kept: KeptIndex, signal?: AbortSignal): Promise<void> {
    const want = kept.header.indexBytes;
    const size = await stat(kept.indexPath).then((s) => s.size, () => -1);
    if (size < 0) throw bad(`index file ${kept.header.indexFile} is missing`);
    if (size !== want) throw bad(`index file has ${size} bytes, its meta says ${want}`);
    let crc = 0;
    for await (const chunk of createReadStream(kept.indexPath, { highWaterMark: 1 << 20, signal })) crc = zlib.crc32(chunk as Buffer, crc);
    if (crc !== kept.header.indexCrc32) throw bad('index file crc mismatch');
  }

  /** Makes `indexPath` (written and fsynced by the build) the kept index, replacing the previous one. */
  async commit(indexPath: string, build: KeptIndexBuild, sum: IndexFileSum, fingerprints: Uint32Array): Promise<KeptIndexHeader> {
    if (dirname(indexPath) !== this.dir || !basename(indexPath).startsWith(this.prefix)) throw new Error(`${indexPath} is not a file of this store`);
    const header: KeptIndexHeader = {
      format: 1, indexFile: basename(indexPath), indexBytes: sum.bytes, indexCrc32: sum.crc32, fingerprintsCrc32: 0,
      builtAt: this.clock(), ...build,
    };
    const tmp = `${this.metaPath}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(encodeKeptMeta(header, fingerprints));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.metaPath);
    await this.syncDir();
    await this.sweep(header.indexFile);
    return header;
  }

  /**
   * Removes every file of this store but the meta and `keepIndexFile` (the index it names):
   * older index files, a crashed build's, a meta temp file. Returns the names removed.
   */
  async sweep(keepIndexFile: string | null): Promise<string[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const stale = names.filter((n) => n.startsWith(this.prefix) && n !== basename(this.metaPath) && n !== keepIndexFile);
    await Promise.all(stale.map((n) => rm(join(this.dir, n), { force: true }).catch(() => {})));
    return stale;
  }

  /** Removes the kept index (meta first, so a crash half-way leaves no meta naming a missing file) and every other file of this store. */
  async discard(): Promise<void> {
    await rm(this.metaPath, { force: true });
    await this.syncDir();
    await this.sweep(null);
  }

  /** Makes the renames durable; skipped where a folder cannot be opened for fsync (some platforms). */
  private async syncDir(): Promise<void> {
    const dh = await open(this.dir, 'r').catch(() => null);
    if (!dh) return;
    try {
      await dh.sync();
    } catch {
      // EISDIR / EINVAL on platforms without directory fsync: the rename is still atomic
    } finally {
      await dh.close();
    }
  }
}
