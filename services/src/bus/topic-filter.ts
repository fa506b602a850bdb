/**
 * MQTT topic algebra as pure functions: wildcard matching, shared-subscription
 * parsing, validation and filter coverage (used by the ACL). One implementation is
 * shared by the in-memory broker, the transports' dispatch and the aedes authorizer,
 * so they cannot disagree about what a filter means.
 */

/** A `$share/{group}/{filter}` subscription split into its parts. */
export interface SharedFilter {
  group: string;
  filter: string;
}

const SHARE_PREFIX = '$share/';

/**
 * Splits a `$share/group/filter` subscription; `undefined` for a plain filter.
 *
 * @example
 * parseSharedFilter('$share/aggregators/edgerec/v1/nodes/+/deltas');
 * // → { group: 'aggregators', filter: 'edgerec/v1/nodes/+/deltas' }
 */
export function parseSharedFilter(filter: string): SharedFilter | undefined {
  if (!filter.startsWith(SHARE_PREFIX)) return undefined;
  const rest = filter.slice(SHARE_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  return { group: rest.slice(0, slash), filter: rest.slice(slash + 1) };
}

/**
 * Whether `topic` (a concrete topic name) matches the subscription `filter`.
 * `+` matches exactly one level (possibly empty), `#` the rest including the parent
 * level (`a/#` matches `a`). Filters starting with a wildcard do not match topics
 * starting with `$` (MQTT-4.7.2-1). A `$share/group/` prefix is ignored.
 *
 * @example
 * topicMatches('edgerec/v1/nodes/+/status', 'edgerec/v1/nodes/n1/status'); // true
 * topicMatches('edgerec/v1/#', 'edgerec/v1');                               // true
 * topicMatches('#', '$SYS/uptime');                                         // false
 */
export function topicMatches(filter: string, topic: string): boolean {
  const plain = parseSharedFilter(filter)?.filter ?? filter;
  const f = plain.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * Whether every topic matched by `requested` is also matched by `allowed`, i.e. a
 * subscription to `requested` cannot receive anything `allowed` would not. This is
 * how a subscribe ACL is checked (mosquitto does the same).
 *
 * @example
 * filterCovers('edgerec/v1/models/#', 'edgerec/v1/models/manifest'); // true
 * filterCovers('edgerec/v1/models/#', 'edgerec/v1/#');               // false
 */
export function filterCovers(allowed: string, requested: string): boolean {
  const a = allowed.split('/');
  const r = requested.split('/');
  if (r[0].startsWith('$') && (a[0] === '+' || a[0] === '#')) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '#') return true;
    if (i >= r.length) return false;
    if (r[i] === '#') return false;
    if (a[i] === '+') continue;
    if (r[i] === '+' || a[i] !== r[i]) return false;
  }
  return a.length === r.length;
}

/**
 * A valid topic name to publish on: non-empty, no wildcards, no NUL.
 *
 * @example
 * isValidTopicName('edgerec/v1/models/manifest'); // true
 * isValidTopicName('edgerec/v1/+/x');            // false
 */
export function isValidTopicName(topic: string): boolean {
  return topic.length > 0 && !/[+#\u0000]/.test(topic);
}

/**
 * A valid subscription filter: `+` and `#` only as whole levels, `#` only last;
 * `$share/group/filter` needs a wildcard-free group and a valid inner filter.
 *
 * @example
 * isValidTopicFilter('a/+/c/#'); // true
 * isValidTopicFilter('a/b#');    // false
 */
export function isValidTopicFilter(filter: string): boolean {
  if (filter.startsWith(SHARE_PREFIX)) {
    const shared = parseSharedFilter(filter);
    return shared !== undefined && !/[+#]/.test(shared.group) && isValidTopicFilter(shared.filter);
  }
  if (filter.length === 0 || filter.includes('\u0000')) return false;
  const levels = filter.split('/');
  return levels.every((level, i) => {
    if (level === '#') return i === levels.length - 1;
    if (level === '+') return true;
    return !/[+#]/.test(level);
  });
}
