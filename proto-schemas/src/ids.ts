import { z } from 'zod';

/**
 * Identifiers that appear on the wire. Ids that become MQTT topic levels are
 * restricted to a URL- and topic-safe alphabet: a `/`, `+` or `#` in a node id would
 * let a node publish under someone else's subtree or subscribe with a wildcard.
 */

/** Alphabet for ids that become topic levels. */
export const TOPIC_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Edge node id, one MQTT topic level.
 *
 * @example
 * NodeId.parse('edge-eu-1'); // ok
 * NodeId.safeParse('a/b').success; // false
 */
export const NodeId = z.string().regex(TOPIC_ID_PATTERN, 'must match [A-Za-z0-9_-]{1,64}');
export type NodeId = z.infer<typeof NodeId>;

/** IoT/kiosk device id, one MQTT topic level. Same alphabet as {@link NodeId}. */
export const DeviceId = z.string().regex(TOPIC_ID_PATTERN, 'must match [A-Za-z0-9_-]{1,64}');
export type DeviceId = z.infer<typeof DeviceId>;

/** Region label of an edge (e.g. the first zip digit for ml-100k). Same alphabet as {@link NodeId}. */
export const Region = z.string().regex(TOPIC_ID_PATTERN, 'must match [A-Za-z0-9_-]{1,64}');
export type Region = z.infer<typeof Region>;

/** End-user id as given by the client; opaque, never a topic level. */
export const UserId = z.string().min(1).max(128);
export type UserId = z.infer<typeof UserId>;

/** Catalog item id as given by the client; opaque, never a topic level. */
export const ItemId = z.string().min(1).max(128);
export type ItemId = z.infer<typeof ItemId>;

/**
 * Client-chosen idempotency key of an event; a re-sent event with the same id is a duplicate.
 *
 * @example
 * EventId.parse('kiosk-7:000123'); // ok
 */
export const EventId = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must match [A-Za-z0-9._:-]{1,128}');
export type EventId = z.infer<typeof EventId>;

/** Name of the signing key a manifest was signed with (lets central rotate keys). */
export const KeyId = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must match [A-Za-z0-9._:-]{1,128}');
export type KeyId = z.infer<typeof KeyId>;
