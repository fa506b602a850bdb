import { DomainError } from './domain-error.js';
import { TOPIC_ID_PATTERN } from './ids.js';
import { MAX_MODEL_CHUNKS } from './limits.js';

/**
 * The one place that maps MQTT topics (DESIGN §3). Builders refuse ids that are not
 * a single safe topic level; `parseTopic` is their exact inverse and returns `null`
 * for anything it did not build.
 */

/** Every edgerec topic starts with this; the `v1` follows PROTOCOL_VERSION. */
export const TOPIC_PREFIX = 'edgerec/v1/';

export type NodeTopicKind = 'nodeStatus' | 'nodeDeltas' | 'nodeAcks' | 'nodeEval';
export type DeviceTopicKind = 'deviceEvents' | 'deviceAcks' | 'deviceRecsRequest' | 'deviceRecsResponse';

/** What a topic names, as returned by {@link parseTopic}. */
export type ParsedTopic =
  | { kind: NodeTopicKind; nodeId: string }
  | { kind: DeviceTopicKind; deviceId: string }
  | { kind: 'modelManifest' }
  | { kind: 'modelCanary'; nodeId: string }
  | { kind: 'modelChunk'; version: number; index: number }
  | { kind: 'modelPatchChunk'; version: number; index: number }
  | { kind: 'controlRounds' };

const NODE_LEAVES: Record<string, NodeTopicKind> = {
  status: 'nodeStatus',
  deltas: 'nodeDeltas',
  acks: 'nodeAcks',
  eval: 'nodeEval',
};

function checkId(what: string, id: string): string {
  if (typeof id !== 'string' || !TOPIC_ID_PATTERN.test(id)) {
    throw new DomainError('invalid_topic_id', 400, `${what} ${JSON.stringify(id)} must match [A-Za-z0-9_-]{1,64}`);
  }
  return id;
}

function checkIndex(what: string, n: number, max: number): number {
  if (!Number.isSafeInteger(n) || n < 0 || n > max) {
    throw new DomainError('invalid_topic_id', 400, `${what} ${n} must be an integer in 0..${max}`);
  }
  return n;
}

const node = (nodeId: string, leaf: string) => `${TOPIC_PREFIX}nodes/${checkId('nodeId', nodeId)}/${leaf}`;
const device = (deviceId: string, leaf: string) => `${TOPIC_PREFIX}devices/${checkId('deviceId', deviceId)}/${leaf}`;

/**
 * Topic builders. Each throws `DomainError('invalid_topic_id')` for an id that would
 * not be exactly one topic level.
 *
 * @example
 * topics.nodeDeltas('edge-1');   // 'edgerec/v1/nodes/edge-1/deltas'
 * topics.modelChunk(12, 3);      // 'edgerec/v1/models/12/chunks/3'
 */
export const topics = {
  /** edge → central, retained; the LWT publishes an `offline` status here. */
  nodeStatus: (nodeId: string) => node(nodeId, 'status'),
  /** edge → central: DeltaChunkMsg. */
  nodeDeltas: (nodeId: string) => node(nodeId, 'deltas'),
  /** central → edge: DeltaAckMsg. */
  nodeAcks: (nodeId: string) => node(nodeId, 'acks'),
  /** edge → central: NodeEvalMsg (federated evaluation of a model version). */
  nodeEval: (nodeId: string) => node(nodeId, 'eval'),
  /**
   * central → edges, not retained: chunk `index` of the patch from the parent of `version`.
   * Edges follow these live (small); a snapshot (`modelChunk`, retained) is fetched only by an
   * edge the patch does not fit.
   */
  modelPatchChunk: (version: number, index: number) =>
    `${TOPIC_PREFIX}models/${checkIndex('version', version, Number.MAX_SAFE_INTEGER)}/patch/${checkIndex('index', index, MAX_MODEL_CHUNKS - 1)}`,
  /** central → all, retained: ModelManifestMsg. */
  modelManifest: () => `${TOPIC_PREFIX}models/manifest`,
  /** central → one edge, retained: a signed manifest for a canary rollout to that node only */
  modelCanary: (nodeId: string) => `${TOPIC_PREFIX}models/canary/${checkId('nodeId', nodeId)}`,
  /** central → edges: ModelChunkMsg `index` of model `version`. */
  modelChunk: (version: number, index: number) =>
    `${TOPIC_PREFIX}models/${checkIndex('version', version, Number.MAX_SAFE_INTEGER)}/chunks/${checkIndex('index', index, MAX_MODEL_CHUNKS - 1)}`,
  /** central → edges: RoundControlMsg. */
  controlRounds: () => `${TOPIC_PREFIX}control/rounds`,
  /** device → edge: DeviceEventMsg. */
  deviceEvents: (deviceId: string) => device(deviceId, 'events'),
  /** device → edge: DeviceRecsRequestMsg. */
  deviceRecsRequest: (deviceId: string) => device(deviceId, 'recs/request'),
  /** edge → device: DeviceRecsResponseMsg answering a request. */
  deviceRecsResponse: (deviceId: string) => device(deviceId, 'recs/response'),
  /** edge → device: per-event durability ack (MQTT PUBACK is sent on receipt, before the commit) */
  deviceAcks: (deviceId: string) => device(deviceId, 'acks'),
} as const;

/**
 * Subscription filters for the receiving side of each fan-in topic.
 *
 * @example
 * topicFilters.shared('aggregators', topicFilters.allNodeDeltas);
 * // '$share/aggregators/edgerec/v1/nodes/+/deltas'
 */
export const topicFilters = {
  allNodeStatus: `${TOPIC_PREFIX}nodes/+/status`,
  allNodeDeltas: `${TOPIC_PREFIX}nodes/+/deltas`,
  allNodeEval: `${TOPIC_PREFIX}nodes/+/eval`,
  allDeviceEvents: `${TOPIC_PREFIX}devices/+/events`,
  allDeviceRecsRequests: `${TOPIC_PREFIX}devices/+/recs/request`,
  modelChunks: (version: number) =>
    `${TOPIC_PREFIX}models/${checkIndex('version', version, Number.MAX_SAFE_INTEGER)}/chunks/+`,
  /** every version's patch chunks (what an edge follows live) */
  allModelPatchChunks: `${TOPIC_PREFIX}models/+/patch/+`,
  /** MQTT 5 shared subscription, spreading messages over a group of consumers (DESIGN §7). */
  shared: (group: string, filter: string) => `$share/${checkId('group', group)}/${filter}`,
} as const;

// Canonical decimal only ("07" is refused) so that parse(build(x)) and build(parse(t)) agree.
function parseIndex(s: string, max: number): number | null {
  if (!/^(0|[1-9][0-9]{0,15})$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) && n <= max ? n : null;
}

const id = (s: string): string | null => (TOPIC_ID_PATTERN.test(s) ? s : null);

/**
 * Inverse of the builders: what a concrete topic names, or `null` when it is not an
 * edgerec v1 topic or carries an invalid id.
 *
 * @example
 * parseTopic('edgerec/v1/nodes/edge-1/acks'); // { kind: 'nodeAcks', nodeId: 'edge-1' }
 * parseTopic('edgerec/v1/nodes/a+b/acks');    // null
 */
export function parseTopic(topic: string): ParsedTopic | null {
  if (typeof topic !== 'string' || !topic.startsWith(TOPIC_PREFIX)) return null;
  const parts = topic.slice(TOPIC_PREFIX.length).split('/');
  const [head, a, b, c] = parts;
  switch (`${head}/${parts.length}`) {
    case 'nodes/3': {
      const kind = Object.hasOwn(NODE_LEAVES, b) ? NODE_LEAVES[b] : undefined;
      const nodeId = id(a);
      return kind && nodeId ? { kind, nodeId } : null;
    }
    case 'models/2':
      return a === 'manifest' ? { kind: 'modelManifest' } : null;
    case 'models/3': {
      const nodeId = id(b);
      return a === 'canary' && nodeId ? { kind: 'modelCanary', nodeId } : null;
    }
    case 'models/4': {
      const version = parseIndex(a, Number.MAX_SAFE_INTEGER);
      const index = parseIndex(c, MAX_MODEL_CHUNKS - 1);
      if (version === null || index === null) return null;
      if (b === 'chunks') return { kind: 'modelChunk', version, index };
      return b === 'patch' ? { kind: 'modelPatchChunk', version, index } : null;
    }
    case 'control/2':
      return a === 'rounds' ? { kind: 'controlRounds' } : null;
    case 'devices/3': {
      const deviceId = id(a);
      if (!deviceId) return null;
      if (b === 'events') return { kind: 'deviceEvents', deviceId };
      if (b === 'acks') return { kind: 'deviceAcks', deviceId };
      return null;
    }
    case 'devices/4': {
      const deviceId = id(a);
      if (!deviceId || b !== 'recs') return null;
      if (c === 'request') return { kind: 'deviceRecsRequest', deviceId };
      if (c === 'response') return { kind: 'deviceRecsResponse', deviceId };
      return null;
    }
    default:
      return null;
  }
}
