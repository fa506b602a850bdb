import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import type { AuthenticateError, Client, PublishPacket } from 'aedes';
import { mqttAcl } from './mqtt-acl.js';
import type { AclSubject, BrokerUser } from './mqtt-acl.js';

export interface EmbeddedBrokerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** When given, clients must authenticate and the ACL applies; without, anyone may do anything (dev). */
  users?: readonly BrokerUser[];
  /** ACL identity: the username (default, true) or the MQTT client id (false). */
  aclNodeIdFromUsername?: boolean;
  /** Told about every denied publish/subscribe, e.g. to log it. */
  onDenied?: (event: { username: string; action: 'publish' | 'subscribe'; topic: string }) => void;
}

export interface EmbeddedBroker {
  url: string;
  port: number;
  /**
   * aedes 1.x speaks MQTT 3.1.1 only (its README: "MQTT 5.0 not supported yet"), so
   * clients must connect with protocolVersion 4; MQTT 5 properties (response topic,
   * correlation data, expiry) do not cross it. Use mosquitto for those.
   */
  protocolVersion: 4;
  close(): Promise<void>;
}

/** Denied publishes are re-routed here and dropped; see authorizePublish below. */
const DENIED_TOPIC = '$denied';

/**
 * In-process MQTT broker (aedes 1.x over node:net) for `edgerec start` and tests,
 * enforcing the same ACL table as the generated mosquitto config.
 *
 * @example
 * const broker = await startEmbeddedBroker({ users: [{ username: 'central', password: 's3cret', role: 'central' }] });
 * const t = new MqttTransport({ url: broker.url, clientId: 'central', protocolVersion: broker.protocolVersion,
 *   username: 'central', password: 's3cret' });
 */
export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = opts.host ?? '127.0.0.1';
  const users = opts.users;
  const subjects = new WeakMap<Client, AclSubject>();
  const subjectOf = (client: Client | null): AclSubject | undefined => {
    const s = client ? subjects.get(client) : undefined;
    return s && opts.aclNodeIdFromUsername === false ? { ...s, username: client?.id ?? '' } : s;
  };

  const broker = await Aedes.createBroker({
    authenticate(client, username, password, done) {
      if (!users) return done(null, true);
      const user = users.find((u) => u.username === username);
      // Compare against something even for unknown users, so timing does not reveal which exist.
      const ok = passwordEquals(password, user?.password ?? '\u0000no-such-user') && user !== undefined;
      if (!ok) return done(authError(), false);
      subjects.set(client, { username: user.username, role: user.role });
      done(null, true);
    },
    authorizePublish(client, packet, done) {
      if (packet.topic.startsWith('$')) return done(new Error('$ topics are reserved'));
      if (!users) return done(null);
      const subject = subjectOf(client);
      if (subject && mqttAcl.canPublish(subject, packet.topic)) return done(null);
      opts.onDenied?.({ username: subject?.username ?? '', action: 'publish', topic: packet.topic });
      // MQTT 3.1.1 cannot tell the client "denied": the broker must either ack and
      // drop or disconnect (MQTT-3.3.5-2). aedes disconnects on error, and the client
      // would resend the same QoS 1 packet on every reconnect, forever. So: ack, then
      // route it to a `$` topic no permitted filter can match, and never retain it.
      // mosquitto does the same for 3.1.1 clients (and answers 0x87 to MQTT 5 ones).
      deny(packet);
      done(null);
    },
    authorizeSubscribe(client, sub, done) {
      if (!users) return done(null, sub);
      const subject = subjectOf(client);
      if (subject && mqttAcl.canSubscribe(subject, sub.topic)) return done(null, sub);
      opts.onDenied?.({ username: subject?.username ?? '', action: 'subscribe', topic: sub.topic });
      done(null, null); // SUBACK 0x80 for this filter
    },
  });

  const server = createServer((socket) => broker.handle(socket));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `mqtt://${host}:${port}`,
    port,
    protocolVersion: 4,
    close: () =>
      new Promise<void>((resolve) => {
        broker.close(() => server.close(() => resolve()));
      }),
  };
}

function deny(packet: PublishPacket): void {
  packet.topic = DENIED_TOPIC;
  packet.retain = false;
}

function passwordEquals(given: Readonly<Buffer> | undefined, expected: string): boolean {
  // Hash both sides: timingSafeEqual needs equal lengths, and lengths must not leak either.
  const a = createHash('sha256').update(given ?? Buffer.alloc(0)).digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

function authError(): AuthenticateError {
  const err = new Error('bad username or password') as AuthenticateError;
  err.returnCode = 4; // AuthErrorCode.BAD_USERNAME_OR_PASSWORD (a const enum, not importable under isolatedModules)
  return err;
}
