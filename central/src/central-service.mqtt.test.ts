import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode, ModelManifestMsg, topics } from '@edgerec/proto-schemas';
import { MessageInbox, MqttTransport, startEmbeddedBroker, type EmbeddedBroker } from '@edgerec/services/bus';
import { ManualScheduler } from './aggregator/index.js';
import { typedArrayBackend } from './backend/index.js';
import { startCentral, type CentralService } from './central-service.js';
import { verifyManifest } from './distribution/index.js';
import { harnessDelta, HARNESS_MODEL, SimulatedEdge, statusPayload } from './testing/index.js';

const users = [
  { username: 'central', password: 'central-secret', role: 'central' as const },
  { username: 'edge-1', password: 'edge-secret', role: 'node' as const },
];

describe('central over the embedded aedes broker (MQTT 3.1.1)', () => {
  let broker: EmbeddedBroker;
  let central: CentralService;
  let edge: SimulatedEdge;
  const dataDir = mkdtempSync(join(tmpdir(), 'central-mqtt-'));

  beforeAll(async () => {
    broker = await startEmbeddedBroker({ users });
    central = await startCentral({
      dataDir, brokerUrl: broker.url, username: 'central', password: 'central-secret', protocolVersion: broker.protocolVersion,
      scheduler: new ManualScheduler(), backend: typedArrayBackend, env: {}, policy: { minNodes: 1 },
      model: { numItems: HARNESS_MODEL.numItems, config: { dim: HARNESS_MODEL.dim, adapterRank: HARNESS_MODEL.adapterRank } },
    });
    const transport = new MqttTransport({
      url: broker.url, clientId: 'edge-1', username: 'edge-1', password: 'edge-secret', protocolVersion: 4,
      will: { topic: topics.nodeStatus('edge-1'), payload: statusPayload('edge-1', '1', 'offline'), retain: true },
    });
    edge = new SimulatedEdge(transport, 'edge-1');
    await edge.start();
  });

  afterAll(async () => {
    await edge?.transport.close();
    await central?.stop();
    await broker?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('acks a delta, aggregates the round and delivers the signed manifest of the new version', async () => {
    const manifests = new MessageInbox();
    await edge.transport.subscribe(topics.modelManifest(), manifests.handler);
    await manifests.waitFor(); // retained version 1
    await edge.publishStatus('online');
    const sample = harnessDelta(1);
    const { deltaId } = await edge.sendDelta(sample, { baseVersion: 1, codec: 'int8' });
    expect(await edge.waitAck(deltaId)).toMatchObject({ status: 'accepted', roundId: 1 });
    const msg = await manifests.waitFor((m) => {
      const r = decode(ModelManifestMsg, m.payload);
      return r.ok && r.value.version === 2;
    });
    const r = decode(ModelManifestMsg, msg.payload);
    const verified = verifyManifest(r.ok ? r.value : null, { [central.signer.keyId]: central.signer.publicKeyPem });
    expect(verified).toMatchObject({ ok: true, value: { version: 2, parent: 1 } });
  });

  it('refuses a payload that claims another node over the real broker too', async () => {
    const sample = harnessDelta(2);
    const { deltaId } = await edge.sendDelta(sample, { baseVersion: 2, claimNodeId: 'edge-2' });
    expect(await edge.waitAck(deltaId)).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/^node_id_mismatch/) });
  });
});
