import { z } from 'zod';
import { eventShape } from './http-events.js';
import { UserId } from './ids.js';
import { RecommendationItem } from './http-recommendations.js';
import { versioned } from './protocol-version.js';
import { ModelVersion } from './scalars.js';

/** IoT/kiosk traffic on `devices/{deviceId}/...`, mirroring the edge HTTP API. */

/**
 * One event from a device on `devices/{deviceId}/events`; the same fields as HTTP `EventIn`.
 *
 * @example
 * DeviceEventMsg.parse({ v: 1, eventId: 'k7:1', user: 'u1', item: 'm50', type: 'view' });
 */
export const DeviceEventMsg = z.object({ ...versioned, ...eventShape });
export type DeviceEventMsg = z.infer<typeof DeviceEventMsg>;

/** Correlates a device's request with the edge's response. */
const RequestId = z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/);

/**
 * A device asking for recommendations on `devices/{deviceId}/recs/request`.
 *
 * @example
 * DeviceRecsRequestMsg.parse({ v: 1, user: 'u1', k: 5, requestId: 'r-1' });
 */
export const DeviceRecsRequestMsg = z.object({
  ...versioned,
  user: UserId,
  k: z.int().min(1).max(100),
  requestId: RequestId.optional(),
});
export type DeviceRecsRequestMsg = z.infer<typeof DeviceRecsRequestMsg>;

/**
 * The edge's answer on `devices/{deviceId}/recs/response`, echoing `requestId`.
 *
 * @example
 * DeviceRecsResponseMsg.parse({ v: 1, requestId: 'r-1', user: 'u1', modelVersion: 4, items: [], coldStart: true });
 */
export const DeviceRecsResponseMsg = z.object({
  ...versioned,
  requestId: RequestId.optional(),
  user: UserId,
  modelVersion: ModelVersion,
  items: z.array(RecommendationItem).max(100),
  coldStart: z.boolean(),
});
export type DeviceRecsResponseMsg = z.infer<typeof DeviceRecsResponseMsg>;

/**
 * Edge → device after an event's transaction committed (or was refused): the MQTT
 * counterpart of the HTTP 202 body. A device may drop an event from its buffer only on
 * `accepted` or `duplicate`.
 *
 * @example
 * DeviceEventAckMsg.parse({ v: 1, eventId: 'e1', status: 'accepted' });
 */
export const DeviceEventAckMsg = z.object({
  ...versioned,
  eventId: z.string().max(128),
  status: z.enum(['accepted', 'duplicate', 'rejected']),
  code: z.string().max(64).optional(),
  message: z.string().max(1000).optional(),
});
export type DeviceEventAckMsg = z.infer<typeof DeviceEventAckMsg>;
