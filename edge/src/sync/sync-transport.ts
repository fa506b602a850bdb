import { readFileSync } from 'node:fs';
import { DomainError } from '@edgerec/proto-schemas';
import { MqttTransport } from '@edgerec/services/bus';
import { offlineWill } from './status-publisher.js';

/** Env var holding the broker password (kept out of argv, which `ps` shows). */
export const BROKER_PASSWORD_ENV = 'EDGEREC_BROKER_PASSWORD';

export interface SyncTransportOptions {
  url: string;
  nodeId: string;
  region: string;
  username?: string;
  password?: string;
  /** 5 for mosquitto (default), 4 for the embedded aedes broker */
  protocolVersion?: 4 | 5;
}

/**
 * The edge's MQTT connection: client id = node id, persistent session (the broker queues
 * acks and control messages while the edge is away) and the retained `offline` status as
 * its Last Will.
 *
 * @example
 * const t = createSyncTransport({ url: 'mqtt://127.0.0.1:1883', nodeId: 'edge-1', region: 'eu', username: 'edge-1', password });
 */
export function createSyncTransport(o: SyncTransportOptions): MqttTransport {
  return new MqttTransport({
    url: o.url, clientId: o.nodeId, username: o.username, password: o.password, protocolVersion: o.protocolVersion ?? 5,
    persistent: true, will: offlineWill(o.nodeId, o.region), reconnectMs: 500, maxReconnectMs: 10_000,
  });
}

/**
 * The broker password from `--broker-password-file` or $EDGEREC_BROKER_PASSWORD; undefined
 * when neither is set. An unreadable file is `DomainError('bad_flag', 400)`.
 *
 * @example
 * const password = readBrokerPassword(flags['broker-password-file'], process.env);
 */
export function readBrokerPassword(file: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (!file) return env[BROKER_PASSWORD_ENV];
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    throw new DomainError('bad_flag', 400, `--broker-password-file: cannot read ${file}`);
  }
}
