/**
 * Just enough of MQTT's wire format (3.1.1 and 5 share it) to cut a byte stream into
 * control packets and read a PUBLISH header, for the fault proxy. Nothing is decoded
 * beyond that: properties, payloads and the other packet types pass through as bytes.
 */

export const PACKET_PUBLISH = 3;
export const PACKET_PUBACK = 4;
export const PACKET_DISCONNECT = 14;

/** What the fault proxy needs to know about a PUBLISH packet. */
export interface PublishHeader {
  topic: string;
  qos: 0 | 1 | 2;
  retain: boolean;
  dup: boolean;
  /** null for QoS 0 */
  packetId: number | null;
}

/**
 * Splits a TCP byte stream into whole MQTT control packets (fixed header + remaining
 * length varint + body), buffering partial ones across `push` calls.
 *
 * @example
 * const reader = new MqttFrameReader();
 * socket.on('data', (bytes) => { for (const packet of reader.push(bytes)) forward(packet); });
 */
export class MqttFrameReader {
  private pending: Buffer = Buffer.alloc(0);

  /** Whole packets completed by `bytes`; throws on a malformed remaining length. */
  push(bytes: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? bytes : Buffer.concat([this.pending, bytes]);
    const out: Buffer[] = [];
    let off = 0;
    for (;;) {
      const size = packetSize(this.pending, off);
      if (size === null || off + size > this.pending.length) break;
      out.push(this.pending.subarray(off, off + size));
      off += size;
    }
    this.pending = off === this.pending.length ? Buffer.alloc(0) : this.pending.subarray(off);
    return out;
  }

  /** Bytes of an unfinished packet held back. */
  get buffered(): number {
    return this.pending.length;
  }
}

/** Total size of the packet starting at `off`, or null while its header is incomplete. */
function packetSize(buf: Buffer, off: number): number | null {
  let value = 0;
  for (let i = 0; i < 4; i++) {
    const at = off + 1 + i;
    if (at >= buf.length) return null;
    const byte = buf[at];
    value += (byte & 0x7f) * 128 ** i;
    if ((byte & 0x80) === 0) return 1 + (i + 1) + value;
  }
  throw new Error('malformed MQTT remaining length (more than 4 bytes)');
}

/** Control packet type (1..15) of a whole packet. */
export const packetType = (packet: Buffer): number => packet[0] >> 4;

/** Offset of the variable header: after the type byte and the remaining-length varint. */
function bodyOffset(packet: Buffer): number {
  let i = 1;
  while (packet[i] & 0x80) i++;
  return i + 1;
}

/**
 * Topic, QoS, flags and packet id of a PUBLISH packet. MQTT 5 topic aliases (an empty
 * topic name) come back as ''; edgerec's clients do not use them.
 *
 * @example
 * const h = readPublishHeader(packet); // { topic: 'edgerec/v1/nodes/a/deltas', qos: 1, packetId: 7, … }
 */
export function readPublishHeader(packet: Buffer): PublishHeader {
  const flags = packet[0] & 0x0f;
  const qos = ((flags >> 1) & 0x03) as 0 | 1 | 2;
  const at = bodyOffset(packet);
  const topicLength = packet.readUInt16BE(at);
  const topic = packet.toString('utf8', at + 2, at + 2 + topicLength);
  const packetId = qos > 0 ? packet.readUInt16BE(at + 2 + topicLength) : null;
  return { topic, qos, retain: (flags & 0x01) !== 0, dup: (flags & 0x08) !== 0, packetId };
}

/** Packet id of a PUBACK (and of PUBREC/PUBREL/PUBCOMP, which share the layout). */
export function readAckPacketId(packet: Buffer): number {
  return packet.readUInt16BE(bodyOffset(packet));
}

/**
 * A PUBACK for `packetId` with remaining length 2: valid in MQTT 3.1.1, and in MQTT 5
 * it means reason code 0 (success) with no properties.
 */
export function pubackPacket(packetId: number): Buffer {
  return Buffer.from([PACKET_PUBACK << 4, 2, packetId >> 8, packetId & 0xff]);
}

/** A copy of a PUBLISH packet with the DUP flag set, as a re-delivery would carry it. */
export function withDupFlag(packet: Buffer): Buffer {
  const copy = Buffer.from(packet);
  if (((copy[0] >> 1) & 0x03) > 0) copy[0] |= 0x08; // DUP must be 0 for QoS 0 [MQTT-3.3.1-2]
  return copy;
}
