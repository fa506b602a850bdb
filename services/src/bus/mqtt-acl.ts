import { filterCovers, isValidTopicName, parseSharedFilter, topicMatches } from './topic-filter.js';

/**
 * Who may publish and subscribe where (DESIGN §5: "a node publishes only under its
 * own id"). One table, enforced by the embedded aedes broker through `mqttAcl` and
 * rendered into a mosquitto ACL file by `renderMosquittoAcl`, so both brokers agree.
 */

export type BrokerRole = 'central' | 'node' | 'device';

/** The identity an ACL decision is about: the broker username is the node/device id. */
export interface AclSubject {
  username: string;
  role: BrokerRole;
}

/** A broker account. */
export interface BrokerUser extends AclSubject {
  password: string;
}

/** Keep in step with TOPIC_PREFIX in proto-schemas/src/topics.ts. */
const P = 'edgerec/v1/';

/**
 * Patterns per role; `%u` is the username (mosquitto's own placeholder). Node
 * publish rights are listed leaf by leaf rather than `nodes/%u/#` because acks on
 * `nodes/%u/acks` are central's to send, and mosquitto's `deny` would also block
 * the node from reading them.
 */
export const ACL_RULES: Readonly<Record<BrokerRole, { publish: readonly string[]; subscribe: readonly string[] }>> = {
  central: {
    publish: [`${P}models/#`, `${P}control/#`, `${P}nodes/+/acks`],
    subscribe: ['#'],
  },
  node: {
    publish: [`${P}nodes/%u/status`, `${P}nodes/%u/deltas`, `${P}nodes/%u/eval`, `${P}devices/+/recs/response`, `${P}devices/+/acks`],
    subscribe: [
      `${P}nodes/%u/acks`,
      `${P}models/#`,
      `${P}control/#`,
      `${P}devices/+/events`,
      `${P}devices/+/recs/request`,
    ],
  },
  device: {
    publish: [`${P}devices/%u/events`, `${P}devices/%u/recs/request`],
    subscribe: [`${P}devices/%u/recs/response`, `${P}devices/%u/acks`],
  },
};

/** Same alphabet as TOPIC_ID_PATTERN in proto-schemas: exactly one safe topic level. */
const USERNAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Usernames become topic levels, so `/`, `+`, `#` (or anything else) would let a
 * client escape its subtree; such accounts get no rights at all.
 */
export const isValidBrokerUsername = (username: string): boolean => USERNAME_PATTERN.test(username);

/**
 * The concrete patterns a subject holds for one kind of access (`%u` substituted).
 *
 * @example
 * aclPatternsFor({ username: 'edge-1', role: 'node' }, 'publish')[0]; // 'edgerec/v1/nodes/edge-1/status'
 */
export function aclPatternsFor(subject: AclSubject, access: 'publish' | 'subscribe'): string[] {
  if (!isValidBrokerUsername(subject.username)) return [];
  return ACL_RULES[subject.role][access].map((p) => p.replaceAll('%u', subject.username));
}

/**
 * ACL decisions as pure functions.
 *
 * @example
 * mqttAcl.canPublish({ username: 'a', role: 'node' }, 'edgerec/v1/nodes/b/deltas'); // false
 * mqttAcl.canSubscribe({ username: 'a', role: 'node' }, 'edgerec/v1/models/#');    // true
 */
export const mqttAcl = {
  canPublish(subject: AclSubject, topic: string): boolean {
    if (!isValidTopicName(topic)) return false;
    return aclPatternsFor(subject, 'publish').some((p) => topicMatches(p, topic));
  },
  /** A `$share/group/` prefix is judged by the filter it wraps. */
  canSubscribe(subject: AclSubject, filter: string): boolean {
    const plain = parseSharedFilter(filter)?.filter ?? filter;
    return aclPatternsFor(subject, 'subscribe').some((p) => filterCovers(p, plain));
  },
};
