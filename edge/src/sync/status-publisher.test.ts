import { describe, expect, it } from 'vitest';
import { decode, NodeStatusMsg, topics } from '@edgerec/proto-schemas';
import { MemoryBroker, MemoryTransport, MessageInbox, type TransportMessage } from '@edgerec/services/bus';
import { pino } from 'pino';
import { offlineWill, StatusPublisher } from './status-publisher.js';
import { ManualScheduler } from '@edgerec/services/common';

const state = (m: TransportMessage) => {
  const r = decode(NodeStatusMsg, m.payload);
  return r.ok ? { state: r.value.state, modelVersion: r.value.modelVersion, retain: m.retain } : null;
};

describe('StatusPublisher', () => {
  it('keeps a retained online status, and the broker publishes the offline will when the link dies', async () => {
    const broker = new MemoryBroker();
    const edge = new MemoryTransport(broker, { clientId: 'edge-1', will: offlineWill('edge-1', 'eu') });
    const scheduler = new ManualScheduler();
    let version = 3;
    const sp = new StatusPublisher({
      transport: edge, nodeId: 'edge-1', region: 'eu', scheduler, logger: pino({ level: 'silent' }), intervalMs: 1_000,
      snapshot: () => ({ modelVersion: version, outboxSize: 0, eventsIngested: 5, learnerLagMs: 0, quality: {} }),
    });
    sp.start();
    await edge.connect();
    const late = new MemoryTransport(broker, { clientId: 'central' });
    const inbox = new MessageInbox();
    await late.subscribe(topics.nodeStatus('edge-1'), inbox.handler);
    await late.connect();
    await inbox.waitForCount(1);
    expect(state(inbox.messages[0])).toEqual({ state: 'online', modelVersion: 3, retain: true });
    version = 4;
    scheduler.advance(1_000);
    await inbox.waitForCount(2);
    expect(state(inbox.messages[1])).toMatchObject({ state: 'online', modelVersion: 4 });
    await edge.simulateDisconnect();
    await inbox.waitForCount(3);
    expect(state(inbox.messages[2])).toMatchObject({ state: 'offline' });
    await sp.stop();
    await late.close();
  });
});
