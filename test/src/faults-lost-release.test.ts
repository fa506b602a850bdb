import { afterEach, describe, expect, it } from 'vitest';
import { CentralHarness } from '@edgerec/central';
import type { Transport } from '@edgerec/services/bus';
import { intercept, SyncEdge, until } from './sync-edge-fixture.js';

/**
 * Lost downlink messages, in process (real central over a MemoryBroker, real edge sync client,
 * hand-advanced clocks): the cases the network fault test found. QoS 1 does not rule them
 * out — a broker drops from a full offline queue, a proxy can lose a packet — and before the
 * fix an edge that missed a manifest, or a chunk twice, stayed on its old version for good.
 */

interface DropRule {
  topic: RegExp;
  /** deliveries on the topic to let through first */
  skip?: number;
  /** deliveries to drop after that */
  count: number;
}

/** Drops deliveries to the edge by topic, as a lossy link would; `dropped` counts per rule. */
function lossy(rules: DropRule[]): { wrap: (t: Transport) => Transport; dropped: number[] } {
  const seen = rules.map(() => 0);
  const dropped = rules.map(() => 0);
  const lose = (topic: string): boolean => {
    const i = rules.findIndex((r) => r.topic.test(topic));
    if (i < 0) return false;
    const n = seen[i]++;
    const r = rules[i];
    if (n < (r.skip ?? 0) || dropped[i] >= r.count) return false;
    dropped[i]++;
    return true;
  };
  const wrap = (inner: Transport): Transport => intercept(inner, { lose: (m) => lose(m.topic) });
  return { wrap, dropped };
}

const harnesses: CentralHarness[] = [];
const edges: SyncEdge[] = [];
afterEach(async () => {
  for (const e of edges.splice(0)) await e.close().catch(() => undefined);
  for (const h of harnesses.splice(0)) await h.cleanup();
});

/** One edge on a central that promotes as soon as it has its delta; the edge holds version 1. */
async function setup(rules: DropRule[], statusIntervalMs?: number) {
  const h = await CentralHarness.start({ policy: { minNodes: 1 } });
  harnesses.push(h);
  const link = lossy(rules);
  const edge = await SyncEdge.start(h, 'edge-a', { statusIntervalMs }, link.wrap);
  edges.push(edge);
  await edge.sync.waitForVersion(1);
  await edge.learn(30);
  expect((await edge.sync.syncNow()).deltaId).not.toBeNull();
  return { h, edge, dropped: link.dropped };
}

describe('faults: lost model releases', () => {
  it('an edge that lost a manifest asks for it again when the next round opens on it', async () => {
    const { edge, dropped } = await setup([{ topic: /models\/manifest$/, skip: 1, count: 1 }]);
    await edge.sync.waitForVersion(2, 20_000);
    expect(dropped).toEqual([1]);
  });

  it('an edge that lost the manifest and the round messages finds the release at its next recheck', async () => {
    const { h, edge, dropped } = await setup([
      { topic: /models\/manifest$/, skip: 1, count: 1 },
      { topic: /control\/rounds$/, skip: 1, count: Infinity },
    ], 1_000);
    await until(() => dropped[0] === 1 && dropped[1] >= 2, 15_000, 'manifest and round messages of v2 lost');
    await h.central.idle();
    expect(edge.holder.version).toBe(1);
    edge.scheduler.advance(1_000); // the status cadence: the edge re-reads the retained manifest
    await edge.sync.waitForVersion(2, 20_000);
  });

  it('an edge that lost a chunk twice keeps re-fetching the retained snapshot until it is complete', async () => {
    // lost: the live patch chunk, then the snapshot chunk on the first and on the second re-fetch
    const { edge, dropped } = await setup([{ topic: /models\/2\/(chunks|patch)\//, count: 3 }]);
    await until(() => edge.sync['receiver'].pending === 2 && dropped[0] === 1, 15_000, 'release 2 announced, its patch lost');
    edge.scheduler.advance(5_000);
    await until(() => dropped[0] === 2, 15_000, 'the re-fetched snapshot chunk lost');
    edge.scheduler.advance(5_000);
    await until(() => dropped[0] === 3, 15_000, 'the re-fetched chunk lost again');
    expect(edge.holder.version).toBe(1);
    edge.scheduler.advance(5_000);
    await edge.sync.waitForVersion(2, 20_000);
  });
});
