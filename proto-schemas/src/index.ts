/**
 * @edgerec/proto-schemas — the wire contracts of edgerec: zod schemas with their
 * inferred types, MQTT topics, the msgpack codec, the protocol version and the
 * OpenAPI builder. Depends on nothing internal.
 */
export { DomainError, isDomainError } from './domain-error.js';
export { PROTOCOL_VERSION, ProtocolVersion, versioned } from './protocol-version.js';
export {
  MAX_BATCH_EVENTS,
  MAX_BODY_BYTES,
  MAX_CHUNK_BYTES,
  MAX_DELTA_CHUNKS,
  MAX_MESSAGE_BYTES,
  MAX_MODEL_CHUNKS,
} from './limits.js';
export { DeviceId, EventId, ItemId, KeyId, NodeId, Region, TOPIC_ID_PATTERN, UserId } from './ids.js';
export {
  bytesSchema,
  Count,
  Ed25519Signature,
  EpochMs,
  MetricName,
  Metrics,
  ModelVersion,
  RoundId,
  Sha256Hex,
} from './scalars.js';
export { parseTopic, TOPIC_PREFIX, topicFilters, topics } from './topics.js';
export type { DeviceTopicKind, NodeTopicKind, ParsedTopic } from './topics.js';
export { DeltaAckMsg, DeltaChunkMsg, DeltaCodec, EventWindow, NodeEvalMsg, NodeStatusMsg } from './node-messages.js';
export { ManifestPatch, ModelChunkMsg, ModelManifestMsg, SnapshotCodec, UnsignedModelManifest } from './model-messages.js';
export { RoundControlMsg, RoundPolicy } from './control-messages.js';
export type { RoundControlType } from './control-messages.js';
export { DeviceEventAckMsg, DeviceEventMsg, DeviceRecsRequestMsg, DeviceRecsResponseMsg } from './device-messages.js';
export { canonicalJson, canonicalManifestBytes } from './canonical-json.js';
export {
  EventIn,
  EventsAccepted,
  EventsBatch,
  EventsEnvelope,
  eventShape,
  eventsOf,
  EventType,
  RejectedEvent,
} from './http-events.js';
export {
  Because,
  HistoryEvent,
  RecommendationItem,
  RecommendationsQuery,
  RecommendationsResponse,
  UserHistory,
} from './http-recommendations.js';
export { ErrorBody, HealthBody, HealthCheck, ModelInfo } from './http-status-bodies.js';
export { decode, encode } from './codec.js';
export type { DecodeError, DecodeErrorCode, Result } from './codec.js';
export { formatIssues } from './issue-format.js';
export { buildOpenApi } from './openapi.js';
export type { HttpMethod, OpenApiDocument, OpenApiInput, ResponseSpec, RouteDescriptor } from './openapi.js';
