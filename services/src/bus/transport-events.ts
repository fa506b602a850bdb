import type { TransportEvent, TransportEvents, TransportListener } from './transport.js';

/**
 * Listener registry behind `Transport.on`. Unlike node's EventEmitter, an `error`
 * with no listener is dropped rather than thrown: a bus hiccup must never crash an
 * edge that keeps serving while offline (DESIGN §5).
 *
 * @example
 * const events = new TransportEventHub();
 * const off = events.on('connect', () => console.log('up'));
 * events.emit('connect');
 * off();
 */
export class TransportEventHub {
  private readonly listeners: { [E in TransportEvent]: Set<TransportListener<E>> } = {
    connect: new Set(),
    offline: new Set(),
    error: new Set(),
  };

  on<E extends TransportEvent>(event: E, listener: TransportListener<E>): () => void {
    const set = this.listeners[event] as Set<TransportListener<E>>;
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  emit<E extends TransportEvent>(event: E, ...args: TransportEvents[E]): void {
    for (const listener of [...(this.listeners[event] as Set<TransportListener<E>>)]) {
      try {
        listener(...args);
      } catch {
        // A faulty listener must not stop the others or the network loop.
      }
    }
  }
}
