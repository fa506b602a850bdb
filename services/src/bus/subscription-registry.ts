import { topicMatches } from './topic-filter.js';
import type { MessageHandler, QoS, TransportMessage } from './transport.js';

interface Entry {
  qos: QoS;
  handlers: Set<MessageHandler>;
}

/**
 * Client-side table of filter → handlers, shared by the transports. Several
 * handlers may share one filter; the broker only hears about the first and last.
 *
 * @example
 * const subs = new SubscriptionRegistry();
 * subs.add('a/+', (m) => console.log(m.topic), 1); // true: new filter, send SUBSCRIBE
 * subs.dispatch(msg, (err) => console.error(err));
 */
export class SubscriptionRegistry {
  private readonly byFilter = new Map<string, Entry>();

  /** Returns true when the filter is new (the broker must be told). */
  add(filter: string, handler: MessageHandler, qos: QoS): boolean {
    const entry = this.byFilter.get(filter);
    if (entry) {
      entry.handlers.add(handler);
      entry.qos = Math.max(entry.qos, qos) as QoS;
      return false;
    }
    this.byFilter.set(filter, { qos, handlers: new Set([handler]) });
    return true;
  }

  /** Returns true when the last handler of the filter left (the broker must be told). */
  remove(filter: string, handler: MessageHandler): boolean {
    const entry = this.byFilter.get(filter);
    if (!entry || !entry.handlers.delete(handler)) return false;
    if (entry.handlers.size > 0) return false;
    this.byFilter.delete(filter);
    return true;
  }

  has(filter: string): boolean {
    return this.byFilter.has(filter);
  }

  /** Filters with their QoS, for (re)subscribing after connect. */
  entries(): Array<[string, QoS]> {
    return [...this.byFilter].map(([filter, e]) => [filter, e.qos]);
  }

  /**
   * Calls every handler of `filters` (default: all filters matching the topic).
   * Handler failures, sync or async, go to `onError`; returns how many ran.
   */
  dispatch(msg: TransportMessage, onError: (err: Error) => void, filters?: Iterable<string>): number {
    const targets = filters ? [...filters] : [...this.byFilter.keys()].filter((f) => topicMatches(f, msg.topic));
    let ran = 0;
    for (const filter of targets) {
      for (const handler of [...(this.byFilter.get(filter)?.handlers ?? [])]) {
        ran++;
        try {
          const result = handler(msg);
          if (result) result.catch((err: unknown) => onError(asError(err)));
        } catch (err) {
          onError(asError(err));
        }
      }
    }
    return ran;
  }
}

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));
