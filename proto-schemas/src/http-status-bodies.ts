import { z } from 'zod';
import { NodeId } from './ids.js';
import { Count, EpochMs, ModelVersion } from './scalars.js';

/** Model, health and error bodies shared by the edge and central HTTP APIs. */

/**
 * Response of `GET /v1/model`: the model an edge (or central) serves now.
 *
 * @example
 * ModelInfo.parse({ version: 4, parent: 3, backend: 'typed-arrays', lastSyncAt: null, numItems: 1682, dim: 32 });
 */
export const ModelInfo = z
  .object({
    version: ModelVersion,
    parent: ModelVersion.nullable(),
    /** Compute backend in use, e.g. 'tfjs-node-gpu', 'tfjs-wasm', 'typed-arrays'. */
    backend: z.string().min(1),
    /** When the model last came from central; `null` before the first sync. */
    lastSyncAt: EpochMs.nullable(),
    numItems: Count,
    dim: z.int().min(1),
  })
  .meta({ id: 'ModelInfo' });
export type ModelInfo = z.infer<typeof ModelInfo>;

/** One dependency check of a health report. */
export const HealthCheck = z.object({ ok: z.boolean(), detail: z.string().optional() });
export type HealthCheck = z.infer<typeof HealthCheck>;

/**
 * Response of `GET /health`. `degraded` still serves (e.g. an edge without its broker
 * keeps recommending and learning, DESIGN §5) and is answered with 200.
 *
 * @example
 * HealthBody.parse({ status: 'degraded', service: 'edge', nodeId: 'edge-1', modelVersion: 4, uptimeMs: 1000,
 *   checks: { broker: { ok: false, detail: 'reconnecting' }, db: { ok: true } } });
 */
export const HealthBody = z
  .object({
    status: z.enum(['ok', 'degraded']),
    service: z.enum(['edge', 'central']),
    nodeId: NodeId.optional(),
    modelVersion: ModelVersion.nullable(),
    uptimeMs: Count,
    checks: z.record(z.string(), HealthCheck).optional(),
  })
  .meta({ id: 'HealthBody' });
export type HealthBody = z.infer<typeof HealthBody>;

/**
 * Every non-2xx JSON response; the shape `DomainError.toJSON()` produces.
 *
 * @example
 * ErrorBody.parse({ error: { code: 'unknown_item', message: 'item "m42" is not in the catalog' } });
 */
export const ErrorBody = z
  .object({ error: z.object({ code: z.string().min(1), message: z.string() }) })
  .meta({ id: 'ErrorBody' });
export type ErrorBody = z.infer<typeof ErrorBody>;
