import { z } from 'zod';

/**
 * Scalar building blocks of the wire schemas. Integers are `z.int()` (safe integers
 * only) because msgpack and JSON both carry them exactly in that range.
 */

/** Milliseconds since the Unix epoch. */
export const EpochMs = z.int().min(0);
export type EpochMs = z.infer<typeof EpochMs>;

/** A non-negative count (events, bytes, samples, rows). */
export const Count = z.int().min(0);
export type Count = z.infer<typeof Count>;

/** Global model version; 0 is the initial (untrained) model. */
export const ModelVersion = z.int().min(0);
export type ModelVersion = z.infer<typeof ModelVersion>;

/** Federated round number, assigned by central. */
export const RoundId = z.int().min(0);
export type RoundId = z.infer<typeof RoundId>;

/**
 * Lower-case hex SHA-256, as `createHash('sha256').digest('hex')` prints it.
 *
 * @example
 * Sha256Hex.parse('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
 */
export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits');
export type Sha256Hex = z.infer<typeof Sha256Hex>;

/** Standard padded base64 of a 64-byte Ed25519 signature (88 characters). */
export const Ed25519Signature = z
  .string()
  .regex(/^[A-Za-z0-9+/]{86}==$/, 'must be padded base64 of 64 bytes');
export type Ed25519Signature = z.infer<typeof Ed25519Signature>;

/**
 * Metric or counter name. `__proto__` is refused because assigning it as an object
 * key changes the prototype instead of adding a property (and msgpackr renames it).
 */
export const MetricName = z
  .string()
  .regex(/^[A-Za-z0-9_.@:-]{1,64}$/, 'must match [A-Za-z0-9_.@:-]{1,64}')
  .refine((k) => k !== '__proto__', 'reserved name');
export type MetricName = z.infer<typeof MetricName>;

/** Named finite numbers (zod 4's `z.number()` already refuses NaN and ±Infinity). */
export const Metrics = z.record(MetricName, z.number());
export type Metrics = z.infer<typeof Metrics>;

/**
 * Binary payload of at most `maxBytes`. msgpackr decodes `bin` as a Node `Buffer`;
 * the schema copies it into a plain `Uint8Array` so consumers see one type and do
 * not keep the whole received message alive through a view.
 *
 * @example
 * const Chunk = bytesSchema(131072);
 * Chunk.parse(Buffer.from([1, 2])); // Uint8Array [1, 2]
 */
export function bytesSchema(maxBytes: number) {
  return z
    .instanceof(Uint8Array)
    .refine((b) => b.byteLength <= maxBytes, `must be at most ${maxBytes} bytes`)
    .transform((b): Uint8Array => (b.constructor === Uint8Array ? b : new Uint8Array(b)));
}
