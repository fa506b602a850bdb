import { createConnection, createServer } from 'node:net';

/**
 * A TCP port that was free a moment ago (the OS picks it by binding port 0).
 * Another process could take it before you bind; fine for tests and demos.
 *
 * @example
 * const port = await freePort();
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface WaitForPortOptions {
  host?: string;
  /** Give up after this long. Default 10_000 ms. */
  timeoutMs?: number;
  /** Checked between attempts, e.g. "has the broker process exited?"; a returned Error aborts. */
  abort?: () => Error | undefined;
}

/**
 * Resolves once something accepts TCP connections on `port`: attempts connect
 * until one succeeds, backing off from 10 ms to 100 ms between refusals.
 *
 * @example
 * await waitForPort(1883, { timeoutMs: 5_000 });
 */
export async function waitForPort(port: number, opts: WaitForPortOptions = {}): Promise<void> {
  const host = opts.host ?? '127.0.0.1';
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let delay = 10;
  for (;;) {
    const aborted = opts.abort?.();
    if (aborted) throw aborted;
    if (await canConnect(port, host)) return;
    if (Date.now() > deadline) throw new Error(`nothing accepted connections on ${host}:${port} in time`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 100);
  }
}

function canConnect(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}
