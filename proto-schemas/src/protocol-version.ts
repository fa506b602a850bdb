import { z } from 'zod';

/**
 * Version of the MQTT payload format. Bumped only for breaking changes; the topic
 * prefix (`edgerec/v1/`) carries the same number so old and new fleets can share a broker.
 */
export const PROTOCOL_VERSION = 1 as const;

/**
 * The `v` field every MQTT message carries. `decode` reports a message whose `v` is
 * present but different as `unsupported_version` rather than as a generic schema error.
 *
 * @example
 * ProtocolVersion.parse(1); // 1
 */
export const ProtocolVersion = z.literal(PROTOCOL_VERSION);
export type ProtocolVersion = z.infer<typeof ProtocolVersion>;

/**
 * Shape fragment spread into every MQTT message schema, so none can forget `v`.
 *
 * @example
 * const PingMsg = z.object({ ...versioned, ts: z.int() });
 */
export const versioned = { v: ProtocolVersion } as const;
