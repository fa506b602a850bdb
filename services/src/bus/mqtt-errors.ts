import { DomainError } from '@edgerec/proto-schemas';

/** CONNACK codes meaning "who you are is not accepted": 3.1.1 (4, 5) and MQTT 5 (0x86, 0x87, 0x8c). */
const AUTH_CODES = new Set([4, 5, 0x86, 0x87, 0x8c]);
/** 3.1.1 "unacceptable protocol version" and MQTT 5 0x84 "unsupported protocol version". */
const PROTOCOL_CODES = new Set([1, 0x84]);
const NOT_AUTHORIZED = 0x87;

/**
 * Maps a refused CONNACK to a DomainError.
 *
 * @example
 * connackError('mqtt://b:1883', 0x86, 'Bad User Name or Password').code; // 'broker_auth_failed'
 */
export function connackError(url: string, code: number, detail: string): DomainError {
  if (AUTH_CODES.has(code)) {
    return new DomainError('broker_auth_failed', 401, `${url} refused the credentials (code ${code}): ${detail}`);
  }
  if (PROTOCOL_CODES.has(code)) {
    return new DomainError(
      'broker_protocol_unsupported',
      502,
      `${url} does not speak this MQTT version (code ${code}); aedes 1.x needs protocolVersion 4`,
    );
  }
  return new DomainError('broker_refused', 502, `${url} refused the connection (code ${code}): ${detail}`);
}

/**
 * Maps a failed QoS 1 publish. MQTT 5 brokers answer a denied publish with PUBACK
 * 0x87; mqtt.js surfaces it as an ErrorWithReasonCode whose `code` is 135.
 */
export function publishError(topic: string, err: Error & { code?: unknown }): Error {
  if (err.code === NOT_AUTHORIZED) {
    return new DomainError('publish_not_authorized', 403, `broker denied publish to "${topic}"`);
  }
  if (typeof err.code === 'number') {
    return new DomainError('publish_refused', 502, `broker refused publish to "${topic}" (code ${err.code}): ${err.message}`);
  }
  return err;
}

/**
 * Maps a SUBACK failure (3.1.1: 0x80, MQTT 5: ≥ 0x80, e.g. 0x87 not authorized).
 * mqtt.js reports it either with a numeric `code` or, from `subscribeAsync`, as an
 * ErrorWithSubackPacket carrying the SUBACK's `granted` list.
 */
export function subscribeError(filter: string, err: unknown): Error {
  const e: Error & { code?: unknown; packet?: { granted?: unknown } } = err instanceof Error ? err : new Error(String(err));
  const granted = Array.isArray(e.packet?.granted) ? (e.packet.granted as unknown[]) : [];
  const code = typeof e.code === 'number' ? e.code : granted.find((g): g is number => typeof g === 'number' && g >= 0x80);
  if (code !== undefined && code >= 0x80) {
    return new DomainError('subscribe_refused', 403, `broker refused subscription "${filter}" (code ${code})`);
  }
  return e;
}
