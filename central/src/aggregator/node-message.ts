import { decode, parseTopic, type NodeTopicKind } from '@edgerec/proto-schemas';
import type { TransportMessage } from '@edgerec/services/bus';
import type { z } from 'zod';
import type { Logger } from '../central-logger.js';

/**
 * Decodes a message a node published under `nodes/{nodeId}/<kind>`: the topic must be of that
 * kind, the payload must pass `schema`, and the payload's nodeId must be the topic's (the
 * broker ACL ties topics to credentials, so a different id in the payload is forged). An
 * empty payload — a cleared retained message — and every refusal give `null`, the refusals
 * with a warning naming `what`.
 *
 * @example
 * const status = decodeNodeMessage(msg, 'nodeStatus', NodeStatusMsg, logger, 'node status');
 */
export function decodeNodeMessage<S extends z.ZodType<{ nodeId: string }>>(
  msg: TransportMessage,
  kind: NodeTopicKind,
  schema: S,
  logger: Logger,
  what: string,
): z.output<S> | null {
  const topic = parseTopic(msg.topic);
  if (topic?.kind !== kind || msg.payload.byteLength === 0) return null;
  const r = decode(schema, msg.payload);
  if (!r.ok) {
    logger.warn({ nodeId: topic.nodeId, code: r.error.code, err: r.error.message }, `invalid ${what}`);
    return null;
  }
  if (r.value.nodeId !== topic.nodeId) {
    logger.warn({ topicNodeId: topic.nodeId, claimedNodeId: r.value.nodeId }, `forged ${what} ignored`);
    return null;
  }
  return r.value;
}
