import {
  decode, DeviceEventAckMsg, DeviceEventMsg, DeviceRecsRequestMsg, encode, isDomainError, parseTopic, PROTOCOL_VERSION,
  topicFilters, topics, type DeviceRecsResponseMsg, type EventIn, type EventsAccepted, type RecommendationsQuery,
  type RecommendationsResponse,
} from '@edgerec/proto-schemas';
import type { Transport } from '@edgerec/services/bus';

/** The edge functions a device gateway drives — the same ones the HTTP routes call. */
/** What the edge's ingest answers (the body of POST /v1/events). */
export interface IngestAnswer {
  status: number;
  body: EventsAccepted | { error: { code: string; message: string } };
}

export interface DeviceGatewayDeps {
  transport: Transport;
  /** durable ingest; returns the same outcome body as POST /v1/events */
  ingest: (events: EventIn[]) => IngestAnswer | Promise<IngestAnswer>;
  recommend: (q: RecommendationsQuery) => RecommendationsResponse;
  logger?: { warn(obj: object, msg: string): void };
  /** counts device messages by outcome (`accepted`, `duplicate`, `rejected:<code>`, `recs`) */
  onOutcome?: (outcome: string) => void;
}

/** Max payload of one device message; larger ones are refused before decoding. */
const MAX_DEVICE_MESSAGE_BYTES = 16 * 1024;

/**
 * IoT devices that speak MQTT instead of HTTP. Events on `devices/{id}/events` go through
 * the edge's own ingest (validation, dedupe by eventId, SQLite commit) and are acknowledged
 * on `devices/{id}/acks` only after the commit — MQTT's PUBACK is sent on receipt, so it
 * cannot be the durability ack. Recommendation requests on `devices/{id}/recs/request` are
 * answered on `devices/{id}/recs/response` with the request's `requestId`.
 *
 * @example
 * const gw = new DeviceGateway({ transport, ingest: (events) => ingestor.ingest({ events }), recommend: (q) => recs.recommend(q) });
 * await gw.start();
 */
export class DeviceGateway {
  private unsubscribe: (() => Promise<void>)[] = [];

  constructor(private readonly deps: DeviceGatewayDeps) {}

  async start(): Promise<void> {
    const { transport } = this.deps;
    this.unsubscribe.push(await transport.subscribe(topicFilters.allDeviceEvents, (m) => this.onEvent(m.topic, m.payload), { qos: 1 }));
    this.unsubscribe.push(await transport.subscribe(topicFilters.allDeviceRecsRequests, (m) => this.onRecsRequest(m.topic, m.payload), { qos: 1 }));
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) await off();
  }

  /** Handles one device event message; exposed for tests. Never throws. */
  async onEvent(topic: string, payload: Uint8Array): Promise<void> {
    const t = parseTopic(topic);
    if (t?.kind !== 'deviceEvents') return;
    const msg = decode(DeviceEventMsg, payload, MAX_DEVICE_MESSAGE_BYTES);
    if (!msg.ok) {
      this.deps.logger?.warn({ deviceId: t.deviceId, code: msg.error.code, reason: msg.error.message }, 'device event refused');
      await this.ack(t.deviceId, { eventId: eventIdOf(payload), status: 'rejected', code: msg.error.code, message: msg.error.message });
      return;
    }
    const { v: _v, ...event } = msg.value;
    let status: DeviceEventAckMsg['status'];
    let code: string | undefined;
    let message: string | undefined;
    try {
      const out = await this.deps.ingest([event]);
      if ('error' in out.body) {
        status = 'rejected';
        ({ code, message } = out.body.error);
      } else if (out.body.rejected.length > 0) {
        status = 'rejected';
        ({ code, message } = out.body.rejected[0]);
      } else {
        status = out.body.duplicates > 0 ? 'duplicate' : 'accepted';
      }
    } catch (e) {
      status = 'rejected';
      code = isDomainError(e) ? e.code : 'internal';
      message = isDomainError(e) ? e.message : 'the edge could not store the event';
      if (!isDomainError(e)) this.deps.logger?.warn({ err: (e as Error).message, deviceId: t.deviceId }, 'device ingest failed');
    }
    await this.ack(t.deviceId, { eventId: event.eventId, status, code, message });
  }

  /** Handles one recommendation request; exposed for tests. Never throws. */
  async onRecsRequest(topic: string, payload: Uint8Array): Promise<void> {
    const t = parseTopic(topic);
    if (t?.kind !== 'deviceRecsRequest') return;
    const msg = decode(DeviceRecsRequestMsg, payload, MAX_DEVICE_MESSAGE_BYTES);
    if (!msg.ok) {
      this.deps.logger?.warn({ deviceId: t.deviceId, code: msg.error.code }, 'device recs request refused');
      this.deps.onOutcome?.(`rejected:${msg.error.code}`);
      return;
    }
    const res = this.deps.recommend({ user: msg.value.user, k: msg.value.k, explain: false, explore: 0 });
    const out: DeviceRecsResponseMsg = {
      v: PROTOCOL_VERSION,
      requestId: msg.value.requestId,
      user: res.user,
      modelVersion: res.modelVersion,
      items: res.items,
      coldStart: res.coldStart,
    };
    this.deps.onOutcome?.('recs');
    await this.publish(topics.deviceRecsResponse(t.deviceId), encode(out));
  }

  private async ack(deviceId: string, a: Omit<DeviceEventAckMsg, 'v'>): Promise<void> {
    this.deps.onOutcome?.(a.status === 'rejected' ? `rejected:${a.code ?? 'unknown'}` : a.status);
    const body: DeviceEventAckMsg = { v: PROTOCOL_VERSION, ...a, eventId: a.eventId.slice(0, 128), message: a.message?.slice(0, 1000) };
    await this.publish(topics.deviceAcks(deviceId), encode(body));
  }

  private async publish(topic: string, bytes: Uint8Array): Promise<void> {
    try {
      await this.deps.transport.publish(topic, bytes, { qos: 1 });
    } catch (e) {
      this.deps.logger?.warn({ topic, err: (e as Error).message }, 'device reply not delivered');
    }
  }
}

/** Best-effort eventId of a payload that failed validation, so the device can match the ack. */
function eventIdOf(payload: Uint8Array): string {
  const r = decode(DeviceEventMsg.pick({ eventId: true }).loose(), payload, MAX_DEVICE_MESSAGE_BYTES);
  return r.ok ? r.value.eventId : '';
}
