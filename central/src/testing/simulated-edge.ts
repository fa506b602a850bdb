import { randomUUID } from 'node:crypto';
import {
  decode, DeltaAckMsg, encode, MAX_CHUNK_BYTES, topics,
  type DeltaChunkMsg, type DeltaCodec, type NodeStatusMsg,
} from '@edgerec/proto-schemas';
import { MessageInbox, type Transport } from '@edgerec/services/bus';
import { encodeDelta, sha256Hex, splitChunks } from '@edgerec/services/compression';
import type { SparseDelta } from '@edgerec/services/model';

export interface SendDeltaOptions {
  baseVersion: number;
  roundId?: number | null;
  codec?: DeltaCodec;
  /** reuse an id to re-send (default: fresh uuid) */
  deltaId?: string;
  /** bytes per chunk (default 128 KiB) */
  chunkSize?: number;
  /** the nodeId written into the payload (default: this edge's; set another to forge) */
  claimNodeId?: string;
  /** only these chunk indices are published (default all) */
  onlyChunks?: readonly number[];
  /** pre-encoded payload instead of encoding `delta` (e.g. garbage) */
  payload?: Uint8Array;
}

/**
 * The uplink half of an edge, for protocol tests, the federated evaluation and demos: it
 * publishes retained status and real encoded, chunked deltas, and collects central's acks.
 *
 * @example
 * const edge = new SimulatedEdge(new MemoryTransport(broker, { clientId: 'edge-1' }), 'edge-1');
 * await edge.start();
 * const { deltaId } = await edge.sendDelta(delta, { baseVersion: 1 });
 * (await edge.waitAck(deltaId)).status; // 'accepted'
 */
export class SimulatedEdge {
  readonly acks = new MessageInbox();

  constructor(
    readonly transport: Transport,
    readonly nodeId: string,
    readonly region = '1',
  ) {}

  async start(): Promise<void> {
    await this.transport.subscribe(topics.nodeAcks(this.nodeId), this.acks.handler);
    if (!this.transport.connected) await this.transport.connect();
  }

  async publishStatus(state: 'online' | 'offline' = 'online', modelVersion = 1): Promise<void> {
    await this.transport.publish(topics.nodeStatus(this.nodeId), statusPayload(this.nodeId, this.region, state, modelVersion), { retain: true });
  }

  /** Publishes a delta's chunks; returns its id and the chunk messages sent. */
  async sendDelta(delta: SparseDelta, o: SendDeltaOptions): Promise<{ deltaId: string; chunks: DeltaChunkMsg[] }> {
    const codec = o.codec ?? 'none';
    const bytes = o.payload ?? encodeDelta(delta, codec);
    const deltaId = o.deltaId ?? randomUUID();
    const parts = splitChunks(bytes, o.chunkSize ?? MAX_CHUNK_BYTES);
    const chunks = parts.map((data, chunkIndex): DeltaChunkMsg => ({
      v: 1, deltaId, nodeId: o.claimNodeId ?? this.nodeId, roundId: o.roundId ?? null, baseVersion: o.baseVersion,
      window: { fromEventSeq: 0, toEventSeq: Math.max(0, delta.samples - 1) }, samples: delta.samples, codec,
      chunkIndex, chunkCount: parts.length, totalBytes: bytes.byteLength, sha256: sha256Hex(bytes), data,
    }));
    for (const c of chunks) {
      if (o.onlyChunks && !o.onlyChunks.includes(c.chunkIndex)) continue;
      await this.transport.publish(topics.nodeDeltas(this.nodeId), encode(c));
    }
    return { deltaId, chunks };
  }

  /** Publishes one raw chunk message (for malformed/limit tests). */
  async sendChunk(chunk: DeltaChunkMsg): Promise<void> {
    await this.transport.publish(topics.nodeDeltas(this.nodeId), encode(chunk));
  }

  /** The `nth` (1-based) ack central sent for `deltaId`. */
  async waitAck(deltaId: string, nth = 1, timeoutMs = 5_000): Promise<DeltaAckMsg> {
    const acksFor = () => this.acks.messages.map(parseAck).filter((a) => a?.deltaId === deltaId);
    await this.acks.waitFor(() => acksFor().length >= nth, timeoutMs);
    return acksFor()[nth - 1]!;
  }

  /** Every ack received so far, decoded. */
  receivedAcks(): DeltaAckMsg[] {
    return this.acks.messages.map(parseAck).filter((a): a is DeltaAckMsg => a !== null);
  }
}

/**
 * Encoded NodeStatusMsg; the `offline` one is what an edge registers as its last will.
 *
 * @example
 * new MemoryTransport(broker, { will: { topic: topics.nodeStatus(id), payload: statusPayload(id, '1', 'offline'), retain: true } });
 */
export function statusPayload(nodeId: string, region: string, state: 'online' | 'offline', modelVersion = 1): Uint8Array {
  const msg: NodeStatusMsg = {
    v: 1, nodeId, region, state, modelVersion, outboxSize: 0, eventsIngested: 0, learnerLagMs: 0, quality: {}, ts: 0,
  };
  return encode(msg);
}

function parseAck(m: { payload: Uint8Array }): DeltaAckMsg | null {
  const r = decode(DeltaAckMsg, m.payload);
  return r.ok ? r.value : null;
}
