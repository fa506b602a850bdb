import {
  DomainError, encode, MAX_CHUNK_BYTES, MetricName, topics,
  type ModelChunkMsg, type ModelManifestMsg, type UnsignedModelManifest,
} from '@edgerec/proto-schemas';
import type { Transport } from '@edgerec/services/bus';
import { splitChunks } from '@edgerec/services/compression';
import type { Logger } from '../central-logger.js';
import type { CentralMetrics } from '../metrics/index.js';
import { KV_KEYS, type CentralStore } from '../store/index.js';
import type { ManifestSigner } from './signer.js';

export interface PublisherDeps {
  transport: Transport;
  store: CentralStore;
  signer: ManifestSigner;
  logger: Logger;
  metrics?: CentralMetrics;
  /** bytes per chunk, ≤ MAX_CHUNK_BYTES (128 KiB, the default) */
  chunkSize?: number;
}

/**
 * Distributes registered model versions over MQTT (DESIGN §3): snapshot chunks retained
 * on `models/{v}/chunks/{i}` (fetched only by edges that need the whole model: late joiners,
 * edges not on the parent), patch chunks (from the parent) live and not retained on
 * `models/{v}/patch/{i}` (what edges follow, ~4× fewer bytes than the snapshot), and last
 * the signed manifest, retained on
 * `models/manifest`, so an edge never sees a manifest whose chunks are not there yet.
 * Retained chunks of versions other than the new one and its parent are cleared.
 *
 * @example
 * const publisher = new ModelPublisher({ transport, store, signer, logger });
 * const manifest = await publisher.publish(7);
 */
export class ModelPublisher {
  private readonly chunkSize: number;

  constructor(private readonly deps: PublisherDeps) {
    this.chunkSize = Math.min(deps.chunkSize ?? MAX_CHUNK_BYTES, MAX_CHUNK_BYTES);
  }

  /** The signed manifest of a registered version. */
  manifestFor(version: number): ModelManifestMsg {
    const info = this.deps.store.registry.get(version);
    if (!info) throw new DomainError('unknown_version', 404, `model version ${version} is not in the registry`);
    const unsigned: UnsignedModelManifest = {
      v: 1, version, parent: info.parent, createdAt: info.createdAt, sha256: info.sha256, size: info.size,
      codec: info.codec as UnsignedModelManifest['codec'], chunkCount: Math.max(1, Math.ceil(info.size / this.chunkSize)),
      chunkSize: this.chunkSize, numItems: info.numItems, dim: info.dim, metrics: wireMetrics(info.metrics),
      keyId: this.deps.signer.keyId,
      publicKey: this.deps.signer.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    };
    if (info.parent !== null && info.patchSha256 !== null && info.patchSize !== null) {
      unsigned.patch = { fromVersion: info.parent, sha256: info.patchSha256, size: info.patchSize };
    }
    return this.deps.signer.sign(unsigned);
  }

  /** Artifact bytes for the HTTP download route; null when the version (or its patch) does not exist. */
  artifactBytes(version: number, kind: 'snapshot' | 'patch' = 'snapshot'): Uint8Array | null {
    return kind === 'snapshot' ? this.deps.store.registry.artifact(version) : this.deps.store.registry.patch(version);
  }

  /** Publishes chunks and then the manifest of `version`; returns the manifest. */
  async publish(version: number): Promise<ModelManifestMsg> {
    const manifest = this.manifestFor(version);
    const snapshot = this.artifactBytes(version)!;
    const patch = this.artifactBytes(version, 'patch');
    await this.publishChunks(version, snapshot, 'snapshot', true);
    if (patch) await this.publishChunks(version, patch, 'patch', false);
    const payload = encode(manifest);
    await this.deps.transport.publish(topics.modelManifest(), payload, { retain: true });
    this.deps.metrics?.bytesDown.inc({ kind: 'manifest' }, payload.byteLength);
    await this.clearOldChunks(version, manifest.parent, manifest.chunkCount);
    this.deps.logger.info({ version, parent: manifest.parent, size: manifest.size, chunks: manifest.chunkCount, patch: manifest.patch?.size }, 'model published');
    return manifest;
  }

  private async publishChunks(version: number, bytes: Uint8Array, kind: ModelChunkMsg['kind'], retain: boolean): Promise<void> {
    const chunks = splitChunks(bytes, this.chunkSize);
    for (let index = 0; index < chunks.length; index++) {
      const msg: ModelChunkMsg = { v: 1, version, index, count: chunks.length, kind, data: chunks[index] };
      const payload = encode(msg);
      const topic = kind === 'patch' ? topics.modelPatchChunk(version, index) : topics.modelChunk(version, index);
      await this.deps.transport.publish(topic, payload, { retain });
      this.deps.metrics?.bytesDown.inc({ kind }, payload.byteLength);
    }
  }

  /** Empty retained payloads delete what the broker keeps for versions nobody needs any more. */
  private async clearOldChunks(version: number, parent: number | null, chunkCount: number): Promise<void> {
    const { kv } = this.deps.store;
    const retained = kv.get<Record<string, number>>(KV_KEYS.retainedVersions) ?? {};
    retained[String(version)] = chunkCount;
    const keep = new Set([String(version), String(parent)]);
    for (const [v, count] of Object.entries(retained)) {
      if (keep.has(v)) continue;
      for (let i = 0; i < count; i++) {
        await this.deps.transport.publish(topics.modelChunk(Number(v), i), new Uint8Array(0), { retain: true });
      }
      delete retained[v];
      this.deps.logger.debug({ version: Number(v), chunks: count }, 'cleared retained chunks');
    }
    kv.set(KV_KEYS.retainedVersions, retained);
  }
}

/** Registry metrics that fit the wire `Metrics` record (valid names, finite numbers). */
function wireMetrics(metrics: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics)) {
    if (typeof v === 'number' && Number.isFinite(v) && MetricName.safeParse(k).success) out[k] = v;
  }
  return out;
}
