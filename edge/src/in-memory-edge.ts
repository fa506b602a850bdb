import { openEdgeDatabase } from '@edgerec/services/store';
import type { Hono } from 'hono';
import { createEdgeApp } from './edge-app.js';
import { createEdgeCore, type EdgeCore, type EdgeCoreOptions } from './edge-core.js';

/**
 * A complete edge (core + app) over an in-memory SQLite database, for tests and demos that
 * exercise the HTTP API with `app.request()` without a file or a port.
 *
 * @example
 * const { app, core } = createInMemoryEdge({ numItems: 50 });
 * await app.request('/v1/events', { method: 'POST', body: JSON.stringify(event) });
 * core.close();
 */
export function createInMemoryEdge(opts: Partial<Omit<EdgeCoreOptions, 'edb'>> = {}): { core: EdgeCore; app: Hono } {
  const core = createEdgeCore({
    edb: openEdgeDatabase(':memory:'), nodeId: 'edge-test', region: 'test', seed: 7, numItems: 50, dim: 8, ...opts,
  });
  return { core, app: createEdgeApp(core) };
}
