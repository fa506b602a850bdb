import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { DomainError } from '@edgerec/proto-schemas';
import { keepConnectionsAlive } from '@edgerec/services/common';

export interface AdminServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves an admin app on host:port (port 0 picks a free one). `close()` also ends open
 * SSE streams, which would otherwise keep the server from closing.
 *
 * @example
 * const server = await startAdminServer(createAdminApp({ central, tokens }), { port: 9464 });
 * console.log(`${server.url}/console`);
 */
export async function startAdminServer(app: { fetch: (request: Request) => Response | Promise<Response> }, opts: { port: number; host?: string }): Promise<AdminServer> {
  const host = opts.host ?? '127.0.0.1';
  let server!: Server;
  const port = await new Promise<number>((resolve, reject) => {
    server = serve({ fetch: app.fetch, port: opts.port, hostname: host }, (info: AddressInfo) => resolve(info.port)) as Server;
    keepConnectionsAlive(server);
    server.once('error', (e: NodeJS.ErrnoException) => {
      reject(new DomainError('listen_failed', 500, `cannot listen on ${host}:${opts.port}: ${e.code ?? e.message}`));
    });
  });
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}`,
    port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
