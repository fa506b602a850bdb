import type { IPublishPacket } from 'mqtt';
import type { MessageProperties } from './transport.js';

type MqttPublishProperties = NonNullable<IPublishPacket['properties']>;

/** Our MQTT 5 properties → mqtt.js publish properties. */
export function toMqttProperties(p: MessageProperties): MqttPublishProperties {
  const out: MqttPublishProperties = {};
  if (p.responseTopic !== undefined) out.responseTopic = p.responseTopic;
  if (p.correlationData !== undefined) out.correlationData = Buffer.from(p.correlationData);
  if (p.messageExpiryInterval !== undefined) out.messageExpiryInterval = p.messageExpiryInterval;
  return out;
}

/** mqtt.js publish properties → ours; `undefined` when none of ours are set. */
export function fromMqttProperties(p: MqttPublishProperties | undefined): MessageProperties | undefined {
  if (!p) return undefined;
  const out: MessageProperties = {};
  if (p.responseTopic !== undefined) out.responseTopic = p.responseTopic;
  if (p.correlationData !== undefined) out.correlationData = new Uint8Array(p.correlationData);
  if (p.messageExpiryInterval !== undefined) out.messageExpiryInterval = p.messageExpiryInterval;
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * A stable MQTT 5 subscription identifier (1 … 268,435,455) derived from the filter
 * (FNV-1a). Stable rather than sequential because messages queued in a persistent
 * session carry the id of the *previous* process's subscription.
 *
 * @example
 * subscriptionIdFor('edgerec/v1/models/#') === subscriptionIdFor('edgerec/v1/models/#'); // true
 */
export function subscriptionIdFor(filter: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < filter.length; i++) {
    h ^= filter.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (h % 268_435_455) + 1;
}
