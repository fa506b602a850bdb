import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';
import { mulberry32 } from '../common/seeded-rng.js';
import {
  MqttFrameReader, PACKET_DISCONNECT, PACKET_PUBACK, PACKET_PUBLISH, packetType, pubackPacket, readAckPacketId,
  readPublishHeader, withDupFlag, type PublishHeader,
} from './mqtt-frame-reader.js';
import { topicMatches } from './topic-filter.js';

/** `up`: client → broker; `down`: broker → client. */
export type ProxyDirection = 'up' | 'down';

/** Seeded faults for PUBLISH packets of QoS 0 and 1 (QoS 2 always passes: its handshake would need state). */
export interface PublishFaults {
  /** Probability a PUBLISH is lost. A lost QoS 1 PUBLISH is answered with a fake PUBACK (see `ackDropped`). */
  drop?: number;
  /** Probability a PUBLISH is sent twice (the copy with DUP set); the surplus PUBACK is swallowed. */
  duplicate?: number;
  /** Hold up to this many PUBLISH packets and release them in random order (0/1: off). */
  reorderWindow?: number;
  /** Only PUBLISH packets on topics matching one of these MQTT filters get faults (default: all). */
  topics?: readonly string[];
}

export interface MqttFaultProxyOptions {
  /** The broker, e.g. `broker.url` ('mqtt://127.0.0.1:1883'). */
  target: string;
  host?: string;
  /** 0 (default): a free port. */
  port?: number;
  /** Seed of the fault draws (default 1). */
  seed?: number;
  up?: PublishFaults;
  down?: PublishFaults;
  /** Longest time a PUBLISH waits in the reorder window (default 100 ms), so nothing is held forever. */
  maxHoldMs?: number;
  /**
   * Answer a dropped QoS 1 PUBLISH with a PUBACK to its sender (default true): the loss then
   * looks like "delivered, then lost" (what the application protocol must survive) instead of
   * a publish that waits for its PUBACK until the next reconnect.
   */
  ackDropped?: boolean;
  /** Sees every PUBLISH before faults apply (monitoring, or a hook that freezes or cuts). */
  onPublish?: (p: PublishHeader & { direction: ProxyDirection; bytes: number }) => void;
}

export interface DirectionStats {
  packets: number;
  publishes: number;
  dropped: number;
  /** extra copies sent */
  duplicated: number;
  /** PUBLISH packets that went through the reorder window */
  reordered: number;
  /** PUBACKs the proxy sent back for dropped QoS 1 PUBLISH packets */
  acksFaked: number;
  /** surplus PUBACKs (answers to duplicated copies) not forwarded */
  acksSwallowed: number;
  /** packets that waited while the direction was frozen */
  stalled: number;
}

export interface MqttFaultProxy {
  /** mqtt://host:port to give clients instead of the broker's URL */
  readonly url: string;
  readonly port: number;
  readonly stats: { connections: number; cuts: number; up: DirectionStats; down: DirectionStats };
  /** Open client connections right now. */
  readonly openConnections: number;
  /** Replaces the faults of one direction (undefined: none). */
  setFaults(direction: ProxyDirection, faults: PublishFaults | undefined): void;
  /** Stops forwarding anything in `direction` (packets queue up) until called with false. */
  freeze(direction: ProxyDirection, on?: boolean): void;
  /** Closes every connection now, like a network failure; returns how many were cut. */
  cut(): number;
  /** While on, existing connections are cut and new ones closed at once (a network partition). */
  partition(on: boolean): void;
  close(): Promise<void>;
}

const newStats = (): DirectionStats => ({ packets: 0, publishes: 0, dropped: 0, duplicated: 0, reordered: 0, acksFaked: 0, acksSwallowed: 0, stalled: 0 });
const opposite = (d: ProxyDirection): ProxyDirection => (d === 'up' ? 'down' : 'up');

/** One direction of one connection. */
interface Pipe {
  src: Socket;
  dst: Socket;
  reader: MqttFrameReader;
  held: Buffer[];
  timer: NodeJS.Timeout | null;
  /** packets that arrived while the direction was frozen */
  stalled: Buffer[];
  /** packet id → PUBACKs in this direction still to swallow */
  swallow: Map<number, number>;
}

/**
 * A TCP proxy between MQTT clients and a broker that frames MQTT packets in both directions
 * and drops, duplicates or reorders PUBLISH packets with seeded probabilities; every other
 * packet passes unchanged. It can also freeze a direction, cut every connection or refuse
 * connections for a while (a partition). For fault-injection tests of the sync protocol.
 *
 * @example
 * const proxy = await startMqttFaultProxy({ target: broker.url, seed: 7, up: { drop: 0.2 }, down: { reorderWindow: 4 } });
 * const t = new MqttTransport({ url: proxy.url, clientId: 'edge-a' });
 * proxy.cut(); // the client reconnects through the proxy
 */
export async function startMqttFaultProxy(opts: MqttFaultProxyOptions): Promise<MqttFaultProxy> {
  const target = new URL(opts.target);
  const targetHost = target.hostname || '127.0.0.1';
  const targetPort = Number(target.port || 1883);
  const rng = mulberry32(opts.seed ?? 1);
  const maxHoldMs = opts.maxHoldMs ?? 100;
  const ackDropped = opts.ackDropped ?? true;
  const faults: Record<ProxyDirection, PublishFaults | undefined> = { up: opts.up, down: opts.down };
  const frozen: Record<ProxyDirection, boolean> = { up: false, down: false };
  const stats = { connections: 0, cuts: 0, up: newStats(), down: newStats() };
  const links = new Set<Record<ProxyDirection, Pipe>>();
  let partitioned = false;

  const write = (socket: Socket, packet: Buffer): void => {
    if (!socket.destroyed) socket.write(packet);
  };
  const releaseOne = (pipe: Pipe): void => {
    const [packet] = pipe.held.splice(Math.floor(rng() * pipe.held.length), 1);
    write(pipe.dst, packet);
  };
  const releaseAll = (pipe: Pipe): void => {
    if (pipe.timer) clearTimeout(pipe.timer);
    pipe.timer = null;
    while (pipe.held.length > 0) releaseOne(pipe);
  };

  const publishFaulted = (link: Record<ProxyDirection, Pipe>, d: ProxyDirection, packet: Buffer, h: PublishHeader): void => {
    const pipe = link[d];
    const f = faults[d];
    const s = stats[d];
    if (!f || h.qos === 2 || (f.topics && !f.topics.some((filter) => topicMatches(filter, h.topic)))) return write(pipe.dst, packet);
    if (rng() < (f.drop ?? 0)) {
      s.dropped++;
      if (h.qos === 1 && ackDropped) {
        write(pipe.src, pubackPacket(h.packetId!));
        s.acksFaked++;
      }
      return;
    }
    const copies = [packet];
    if (rng() < (f.duplicate ?? 0)) {
      copies.push(withDupFlag(packet));
      s.duplicated++;
      if (h.qos === 1) {
        const back = link[opposite(d)].swallow;
        back.set(h.packetId!, (back.get(h.packetId!) ?? 0) + 1);
      }
    }
    const window = f.reorderWindow ?? 0;
    if (window <= 1) return copies.forEach((c) => write(pipe.dst, c));
    pipe.held.push(...copies);
    s.reordered += copies.length;
    while (pipe.held.length >= window) releaseOne(pipe);
    if (pipe.held.length > 0) pipe.timer ??= setTimeout(() => releaseAll(pipe), maxHoldMs);
  };

  const handle = (link: Record<ProxyDirection, Pipe>, d: ProxyDirection, packet: Buffer): void => {
    const pipe = link[d];
    if (frozen[d]) {
      pipe.stalled.push(packet);
      stats[d].stalled++;
      return;
    }
    stats[d].packets++;
    const type = packetType(packet);
    if (type === PACKET_PUBACK) {
      const id = readAckPacketId(packet);
      const n = pipe.swallow.get(id) ?? 0;
      if (n > 0) {
        if (n === 1) pipe.swallow.delete(id);
        else pipe.swallow.set(id, n - 1);
        stats[d].acksSwallowed++;
        return;
      }
    }
    if (type === PACKET_DISCONNECT) releaseAll(pipe); // what was sent before a clean goodbye still arrives
    if (type !== PACKET_PUBLISH) return write(pipe.dst, packet);
    const h = readPublishHeader(packet);
    stats[d].publishes++;
    opts.onPublish?.({ ...h, direction: d, bytes: packet.length });
    publishFaulted(link, d, packet, h);
  };

  const destroy = (link: Record<ProxyDirection, Pipe>): void => {
    if (!links.delete(link)) return;
    for (const pipe of [link.up, link.down]) {
      if (pipe.timer) clearTimeout(pipe.timer);
      pipe.held = [];
      pipe.src.destroy();
    }
  };

  const server = createServer((client) => {
    if (partitioned) return void client.destroy();
    stats.connections++;
    const broker = createConnection({ host: targetHost, port: targetPort });
    const pipe = (src: Socket, dst: Socket): Pipe =>
      ({ src, dst, reader: new MqttFrameReader(), held: [], timer: null, stalled: [], swallow: new Map() });
    const link = { up: pipe(client, broker), down: pipe(broker, client) };
    links.add(link);
    for (const d of ['up', 'down'] as const) {
      const p = link[d];
      p.src.setNoDelay(true);
      p.src.on('data', (bytes: Buffer) => {
        try {
          for (const packet of p.reader.push(bytes)) handle(link, d, packet);
        } catch {
          return destroy(link); // not MQTT (or a truncated PUBLISH): drop the connection, as a broker would
        }
        // Backpressure: a slow receiver slows the sender instead of filling this process.
        if (p.dst.writableNeedDrain && !p.src.isPaused()) {
          p.src.pause();
          p.dst.once('drain', () => p.src.resume());
        }
      });
      p.src.on('end', () => {
        releaseAll(p);
        p.dst.end();
      });
      p.src.on('error', () => destroy(link));
      p.src.on('close', () => destroy(link));
    }
  });

  const cut = (): number => {
    const n = links.size;
    for (const link of [...links]) destroy(link);
    stats.cuts += n;
    return n;
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;

  return {
    url: `mqtt://${address.address}:${address.port}`,
    port: address.port,
    stats,
    get openConnections() {
      return links.size;
    },
    setFaults(direction, f) {
      faults[direction] = f;
    },
    freeze(direction, on = true) {
      frozen[direction] = on;
      if (on) return;
      for (const link of links) {
        const p = link[direction];
        for (const packet of p.stalled.splice(0)) handle(link, direction, packet);
      }
    },
    cut,
    partition(on) {
      partitioned = on;
      if (on) cut();
    },
    close: () =>
      new Promise<void>((resolve) => {
        partitioned = true;
        cut();
        server.close(() => resolve());
      }),
  };
}
