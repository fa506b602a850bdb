import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

/** The request body did not fit the limit; the route answers 413. */
export const BODY_TOO_LARGE = Symbol('body too large');

/** `c.env` as `@hono/node-server` passes it: the Node request the web Request wraps. */
function nodeIncoming(c: Context): IncomingMessage | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming && typeof incoming.on === 'function' && typeof incoming.headers === 'object' ? incoming : undefined;
}

/**
 * A request header (lower-case `name`), duplicates joined with ", " as `Headers.get` does;
 * from the Node request when there is one, so no web Headers object is built for it.
 *
 * @example
 * const key = requestHeader(c, 'idempotency-key');
 */
export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = nodeIncoming(c);
  if (!incoming) return c.req.header(name);
  const v = incoming.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** UTF-8 text as `Request.text()` decodes it: a leading byte-order mark is dropped. */
const decodeUtf8 = (bytes: Buffer): string => {
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
};

/**
 * The request body as text, or {@link BODY_TOO_LARGE} once it passes `maxBytes` (declared in
 * Content-Length or counted while reading).
 *
 * Served by `@hono/node-server`, it reads the Node `IncomingMessage` directly. Going through
 * `c.req` instead makes the adapter build the full web Request (an undici Request, a
 * ReadableStream over the socket, Headers and an AbortSignal) for every POST: measured
 * under ingest load, that was the largest piece of an ingest request's HTTP cost on the edge's event loop.
 * Anywhere else (`app.request()` in tests) it reads `c.req.raw` with the same limit.
 * What is left unread of an oversized body is drained by the adapter after the answer.
 *
 * @example
 * const raw = await readBodyText(c, MAX_BODY_BYTES);
 * if (raw === BODY_TOO_LARGE) return c.json(errorBody('body_too_large', '…'), 413);
 */
export async function readBodyText(c: Context, maxBytes: number): Promise<string | typeof BODY_TOO_LARGE> {
  const incoming = nodeIncoming(c);
  if (!incoming) return readWebBody(c.req.raw, maxBytes);
  const declared = incoming.headers['content-length'];
  if (declared !== undefined && incoming.headers['transfer-encoding'] === undefined && Number(declared) > maxBytes) {
    return BODY_TOO_LARGE;
  }
  // Listeners are inline and stay attached until the request ends (named closures cost a
  // keepNames wrapper each under tsx, measurable per request); past the limit, chunks are dropped.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    incoming.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      settled = true;
      chunks.length = 0;
      resolve(BODY_TOO_LARGE);
    });
    incoming.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(decodeUtf8(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)));
    });
    incoming.on('error', (e: Error) => {
      if (settled) return;
      settled = true;
      reject(e);
    });
    incoming.on('close', () => {
      if (settled) return;
      settled = true;
      reject(new Error('request closed before its body ended'));
    });
  });
}

/** The same over a web Request (what `app.request()` hands the app). */
async function readWebBody(req: Request, maxBytes: number): Promise<string | typeof BODY_TOO_LARGE> {
  const declared = req.headers.get('content-length');
  if (declared !== null && !req.headers.has('transfer-encoding') && Number(declared) > maxBytes) return BODY_TOO_LARGE;
  if (!req.body) return '';
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxBytes) {
      await reader.cancel();
      return BODY_TOO_LARGE;
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks, size));
}
