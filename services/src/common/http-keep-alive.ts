import type { Server } from 'node:http';

/**
 * Keeps idle keep-alive connections longer than clients keep them pooled. With Node's
 * default (5 s) a client can send a request on a socket the server is closing at that moment
 * and get "other side closed"; load balancers and HTTP clients use 60 s or less, so the server
 * must be the last to close.
 *
 * @example
 * keepConnectionsAlive(server);
 */
export function keepConnectionsAlive(server: Pick<Server, 'keepAliveTimeout' | 'headersTimeout'>, idleMs = 65_000): void {
  server.keepAliveTimeout = idleMs;
  server.headersTimeout = idleMs + 1_000;
}
