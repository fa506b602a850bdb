import type { MessageHandler, TransportMessage } from './transport.js';

interface Waiter {
  predicate: (msg: TransportMessage) => boolean;
  resolve: (msg: TransportMessage) => void;
}

/**
 * Collects messages from a subscription and lets tests wait for one by event,
 * with a timeout instead of a sleep.
 *
 * @example
 * const inbox = new MessageInbox();
 * await t.subscribe('edgerec/v1/nodes/+/status', inbox.handler);
 * const status = await inbox.waitFor((m) => m.topic.endsWith('/edge-1/status'));
 */
export class MessageInbox {
  readonly messages: TransportMessage[] = [];
  private waiters: Waiter[] = [];

  readonly handler: MessageHandler = (msg) => {
    this.messages.push(msg);
    for (const w of [...this.waiters]) {
      if (w.predicate(msg)) {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve(msg);
      }
    }
  };

  get topics(): string[] {
    return this.messages.map((m) => m.topic);
  }

  /** The first message (already received or future) satisfying `predicate`. */
  waitFor(predicate: (msg: TransportMessage) => boolean = () => true, timeoutMs = 5_000): Promise<TransportMessage> {
    const seen = this.messages.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve: (msg) => {
          clearTimeout(timer);
          resolve(msg);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== waiter);
        reject(new Error(`no matching message within ${timeoutMs} ms; got: ${JSON.stringify(this.topics)}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Resolves once `n` messages in total have arrived. */
  waitForCount(n: number, timeoutMs = 5_000): Promise<TransportMessage> {
    return this.waitFor(() => this.messages.length >= n, timeoutMs);
  }
}
