import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeviceId, NodeId } from './ids.js';
import { MAX_MODEL_CHUNKS } from './limits.js';
import { topicIdArb } from './message-arbitraries.js';
import { parseTopic, type ParsedTopic, topicFilters, topics } from './topics.js';

function build(t: ParsedTopic): string {
  switch (t.kind) {
    case 'nodeStatus':
    case 'nodeDeltas':
    case 'nodeAcks':
    case 'nodeEval':
      return topics[t.kind](t.nodeId);
    case 'deviceEvents':
    case 'deviceAcks':
    case 'deviceRecsRequest':
    case 'deviceRecsResponse':
      return topics[t.kind](t.deviceId);
    case 'modelManifest':
      return topics.modelManifest();
    case 'modelCanary':
      return topics.modelCanary(t.nodeId);
    case 'modelChunk':
      return topics.modelChunk(t.version, t.index);
    case 'modelPatchChunk':
      return topics.modelPatchChunk(t.version, t.index);
    case 'controlRounds':
      return topics.controlRounds();
  }
}

const parsedArb: fc.Arbitrary<ParsedTopic> = fc.oneof(
  fc.record({ kind: fc.constantFrom('nodeStatus' as const, 'nodeDeltas' as const, 'nodeAcks' as const, 'nodeEval' as const), nodeId: topicIdArb }),
  fc.record({ kind: fc.constantFrom('deviceEvents' as const, 'deviceAcks' as const, 'deviceRecsRequest' as const, 'deviceRecsResponse' as const), deviceId: topicIdArb }),
  fc.record({ kind: fc.constant('modelChunk' as const), version: fc.maxSafeNat(), index: fc.integer({ min: 0, max: MAX_MODEL_CHUNKS - 1 }) }),
  fc.record({ kind: fc.constant('modelPatchChunk' as const), version: fc.maxSafeNat(), index: fc.integer({ min: 0, max: MAX_MODEL_CHUNKS - 1 }) }),
  fc.constant({ kind: 'modelManifest' as const }),
  fc.constant({ kind: 'controlRounds' as const }),
);

describe('topics', () => {
  it('builds the DESIGN §3 topic names', () => {
    expect(topics.nodeStatus('edge-1')).toBe('edgerec/v1/nodes/edge-1/status');
    expect(topics.nodeDeltas('edge-1')).toBe('edgerec/v1/nodes/edge-1/deltas');
    expect(topics.nodeAcks('edge-1')).toBe('edgerec/v1/nodes/edge-1/acks');
    expect(topics.nodeEval('edge-1')).toBe('edgerec/v1/nodes/edge-1/eval');
    expect(topics.modelManifest()).toBe('edgerec/v1/models/manifest');
    expect(topics.modelChunk(12, 3)).toBe('edgerec/v1/models/12/chunks/3');
    expect(topics.modelPatchChunk(12, 3)).toBe('edgerec/v1/models/12/patch/3');
    expect(topics.controlRounds()).toBe('edgerec/v1/control/rounds');
    expect(topics.deviceEvents('kiosk_7')).toBe('edgerec/v1/devices/kiosk_7/events');
    expect(topics.deviceRecsRequest('kiosk_7')).toBe('edgerec/v1/devices/kiosk_7/recs/request');
    expect(topics.deviceRecsResponse('kiosk_7')).toBe('edgerec/v1/devices/kiosk_7/recs/response');
    expect(topics.deviceAcks('kiosk_7')).toBe('edgerec/v1/devices/kiosk_7/acks');
    expect(parseTopic(topics.modelCanary('edge-1'))).toEqual({ kind: 'modelCanary', nodeId: 'edge-1' });
  });

  it('parses every built topic back to what built it', () => {
    fc.assert(
      fc.property(parsedArb, (t) => {
        expect(parseTopic(build(t))).toEqual(t);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary strings, and whatever it parses rebuilds to the same topic', () => {
    const levels = fc.constantFrom('edgerec', 'v1', 'nodes', 'devices', 'models', 'chunks', 'recs', 'request', 'status', 'eval', 'manifest', 'control', 'rounds', '0', '07', 'a+b', '#', '', 'x');
    const topicArb = fc.oneof(fc.string(), fc.array(levels, { maxLength: 6 }).map((l) => `edgerec/v1/${l.join('/')}`));
    fc.assert(
      fc.property(topicArb, (topic) => {
        const parsed = parseTopic(topic);
        if (parsed) expect(build(parsed)).toBe(topic);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses ids containing /, + or # (and empty or over-long ids) in builders and parser', () => {
    for (const bad of ['a/b', 'a+b', '+', '#', 'a#', '', 'x'.repeat(65), 'spa ce', 'ü']) {
      expect(NodeId.safeParse(bad).success).toBe(false);
      expect(DeviceId.safeParse(bad).success).toBe(false);
      expect(() => topics.nodeDeltas(bad)).toThrow(expect.objectContaining({ code: 'invalid_topic_id' }));
      expect(() => topics.deviceEvents(bad)).toThrow(expect.objectContaining({ code: 'invalid_topic_id' }));
      expect(parseTopic(`edgerec/v1/nodes/${bad}/deltas`)).toBeNull();
      expect(parseTopic(`edgerec/v1/devices/${bad}/events`)).toBeNull();
    }
  });

  it('refuses chunk numbers that are negative, fractional, non-canonical or out of range', () => {
    expect(() => topics.modelChunk(-1, 0)).toThrow();
    expect(() => topics.modelChunk(1, 0.5)).toThrow();
    expect(() => topics.modelChunk(1, MAX_MODEL_CHUNKS)).toThrow();
    for (const t of ['edgerec/v1/models/07/chunks/1', 'edgerec/v1/models/7/chunks/-1', 'edgerec/v1/models/7/chunks/1e3',
      `edgerec/v1/models/7/chunks/${MAX_MODEL_CHUNKS}`, 'edgerec/v1/models/9007199254740992/chunks/0', 'edgerec/v1/models/7/chunk/1']) {
      expect(parseTopic(t)).toBeNull();
    }
  });

  it('returns null for foreign prefixes, other versions, unknown leaves and extra levels', () => {
    for (const t of ['edgerec/v2/nodes/a/status', 'other/v1/nodes/a/status', 'edgerec/v1/nodes/a/status/x', 'edgerec/v1/nodes/a/toString',
      'edgerec/v1/nodes/a/__proto__', 'edgerec/v1/models/latest', 'edgerec/v1/control/other', 'edgerec/v1/devices/d/recs',
      'edgerec/v1/devices/d/recs/other', 'edgerec/v1/', 'edgerec/v1/nodes/+/status']) {
      expect(parseTopic(t)).toBeNull();
    }
  });

  it('offers wildcard and shared-subscription filters for the fan-in topics', () => {
    expect(topicFilters.allNodeDeltas).toBe('edgerec/v1/nodes/+/deltas');
    expect(topicFilters.allNodeStatus).toBe('edgerec/v1/nodes/+/status');
    expect(topicFilters.allNodeEval).toBe('edgerec/v1/nodes/+/eval');
    expect(topicFilters.allDeviceEvents).toBe('edgerec/v1/devices/+/events');
    expect(topicFilters.allDeviceRecsRequests).toBe('edgerec/v1/devices/+/recs/request');
    expect(topicFilters.modelChunks(4)).toBe('edgerec/v1/models/4/chunks/+');
    expect(topicFilters.shared('aggregators', topicFilters.allNodeDeltas)).toBe('$share/aggregators/edgerec/v1/nodes/+/deltas');
    expect(() => topicFilters.shared('a/b', topicFilters.allNodeDeltas)).toThrow();
  });
});
