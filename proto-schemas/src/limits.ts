/**
 * Size limits shared by producers and consumers of the wire contracts. Both sides
 * import the same numbers so a sender never builds what a receiver will refuse.
 */

/** Most events one `POST /v1/events` body may carry. */
export const MAX_BATCH_EVENTS = 1000;

/** Largest HTTP request body an edge accepts (1 MiB). */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Largest `data` payload of one delta or model chunk (128 KiB, DESIGN §3). */
export const MAX_CHUNK_BYTES = 128 * 1024;

/** Most chunks one uplink delta may be split into. */
export const MAX_DELTA_CHUNKS = 4096;

/** Most chunks one model artifact (snapshot or patch) may be split into: 8 GiB at 128 KiB. */
export const MAX_MODEL_CHUNKS = 65536;

/**
 * Default cap for one encoded MQTT message handed to `decode`: a full chunk plus
 * generous room for the header fields. Anything bigger is refused before unpacking.
 */
export const MAX_MESSAGE_BYTES = 256 * 1024;
