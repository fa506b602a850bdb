import type { MessageHandler, PublishOptions, SubscribeOptions, Transport, TransportMessage, Unsubscribe } from './transport.js';

export interface FaultOptions {
  /** Probability a message is lost. */
  drop?: number;
  /** Probability a message is delivered twice (what QoS 1 allows). */
  duplicate?: number;
  /** Hold up to this many inbound messages and release them in random order (0/1: off). */
  reorderWindow?: number;
  /** Seeded uniform [0,1) source; see `seededRandom`. */
  rng: () => number;
  /** Where faults apply. Default 'inbound' (deliveries to handlers). Outbound reorder is not simulated. */
  direction?: 'inbound' | 'outbound' | 'both';
}

export interface FaultStats {
  dropped: number;
  /** Extra copies delivered. */
  duplicated: number;
  /** Messages that went through the reorder window (held, then released in random order). */
  reordered: number;
}

export interface FaultyTransport extends Transport {
  readonly stats: FaultStats;
  /** Releases messages held by the reorder window (in random order). */
  flush(): Promise<void>;
}

interface Held {
  handler: MessageHandler;
  msg: TransportMessage;
}

/**
 * Wraps any Transport with seeded message loss, duplication and reordering, to test
 * that edge/central logic tolerates an at-least-once, unordered bus. Draws from
 * `rng` in a fixed order per message (drop, duplicate, reorder), so a seed replays
 * the same faults. `close()` discards held messages, like a lost connection.
 *
 * @example
 * const t = withFaults(new MemoryTransport(broker), { duplicate: 0.2, rng: seededRandom(1) });
 */
export function withFaults(inner: Transport, opts: FaultOptions): FaultyTransport {
  const { rng, drop = 0, duplicate = 0, reorderWindow = 0, direction = 'inbound' } = opts;
  const inbound = direction !== 'outbound';
  const outbound = direction !== 'inbound';
  const stats: FaultStats = { dropped: 0, duplicated: 0, reordered: 0 };
  let held: Held[] = [];

  const run = (h: Held): Promise<void> => Promise.resolve(h.handler(h.msg));
  const releaseOne = (): Promise<void> => {
    const [h] = held.splice(Math.floor(rng() * held.length), 1);
    return run(h);
  };

  const deliver = async (handler: MessageHandler, msg: TransportMessage): Promise<void> => {
    if (rng() < drop) {
      stats.dropped++;
      return;
    }
    const copies: Held[] = [{ handler, msg }];
    if (rng() < duplicate) {
      stats.duplicated++;
      copies.push({ handler, msg });
    }
    if (reorderWindow <= 1) {
      await Promise.all(copies.map(run));
      return;
    }
    held.push(...copies);
    stats.reordered += copies.length;
    const releases: Promise<void>[] = [];
    while (held.length >= reorderWindow) releases.push(releaseOne());
    await Promise.all(releases);
  };

  return {
    stats,
    get connected() {
      return inner.connected;
    },
    connect: () => inner.connect(),
    on: (event, listener) => inner.on(event, listener),
    async publish(topic: string, payload: Uint8Array, pubOpts?: PublishOptions): Promise<void> {
      if (!outbound) return inner.publish(topic, payload, pubOpts);
      if (rng() < drop) {
        stats.dropped++;
        return;
      }
      await inner.publish(topic, payload, pubOpts);
      if (rng() < duplicate) {
        stats.duplicated++;
        await inner.publish(topic, payload, pubOpts);
      }
    },
    subscribe(filter: string, handler: MessageHandler, subOpts?: SubscribeOptions): Promise<Unsubscribe> {
      return inner.subscribe(filter, inbound ? (msg) => deliver(handler, msg) : handler, subOpts);
    },
    async flush(): Promise<void> {
      const releases: Promise<void>[] = [];
      while (held.length > 0) releases.push(releaseOne());
      await Promise.all(releases);
    },
    async close(): Promise<void> {
      held = [];
      await inner.close();
    },
  };
}
