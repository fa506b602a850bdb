import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openCentralStore, type CentralStore } from './central-store.js';
import { KV_KEYS } from './kv-store.js';
import { MIGRATIONS, migrate } from './migrations.js';
import type { ReceivedDelta } from './received-deltas-store.js';

const dirs: string[] = [];
const stores: CentralStore[] = [];
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'central-store-'));
  dirs.push(dir);
  return join(dir, 'central.sqlite');
}
function open(file = ':memory:'): CentralStore {
  const s = openCentralStore(file);
  stores.push(s);
  return s;
}
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const delta = (over: Partial<ReceivedDelta> = {}): ReceivedDelta => ({
  deltaId: '6f1c2b1e-2f0a-4c1e-9a55-0d5c4f3b2a10',
  nodeId: 'edge-1',
  roundId: 1,
  baseVersion: 1,
  samples: 10,
  codec: 'int8',
  bytes: new Uint8Array([1, 2, 3]),
  size: 3,
  receivedAt: 1000,
  status: 'counted',
  weight: 1,
  reason: null,
  ...over,
});

describe('central store', () => {
  it('opens in WAL mode and migrations are idempotent across reopen', () => {
    const file = tempFile();
    const a = open(file);
    expect(a.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(a.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    a.close();
    const b = open(file);
    expect(migrate(b.db)).toBe(0);
    expect(b.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
  });

  it('a re-inserted deltaId is reported as existing, also after reopening the file', () => {
    const file = tempFile();
    const a = open(file);
    expect(a.deltas.insert(delta())).toBe('inserted');
    expect(a.deltas.insert(delta({ samples: 99 }))).toBe('exists');
    a.close();
    const b = open(file);
    expect(b.deltas.insert(delta())).toBe('exists');
    const got = b.deltas.get(delta().deltaId)!;
    expect(got.samples).toBe(10);
    expect(Array.from(got.bytes!)).toEqual([1, 2, 3]);
    expect(b.deltas.intake(1)).toEqual({ deltas: 1, samples: 10, nodes: ['edge-1'] });
  });

  it('round intake counts counted and late deltas only, and can move them to another round', () => {
    const s = open();
    s.deltas.insert(delta());
    s.deltas.insert(delta({ deltaId: 'a1a1a1a1-0000-4000-8000-000000000001', nodeId: 'edge-2', status: 'late', weight: 0.5 }));
    s.deltas.insert(delta({ deltaId: 'a1a1a1a1-0000-4000-8000-000000000002', roundId: null, status: 'rejected', bytes: null }));
    expect(s.deltas.intake(1)).toEqual({ deltas: 2, samples: 20, nodes: ['edge-1', 'edge-2'] });
    expect(s.deltas.moveToRound(1, 2)).toBe(2);
    expect(s.deltas.intake(1).deltas).toBe(0);
    expect(s.deltas.forRound(2).map((d) => d.weight)).toEqual([1, 0.5]);
  });

  it('round state only moves forward', () => {
    const s = open();
    const id = s.rounds.insert({ baseVersion: 1, policy: { minNodes: 2 }, openedAt: 1, deadline: 100 });
    expect(s.rounds.markAggregated(id, {}, 2)).toBe(false);
    expect(s.rounds.close(id, 50, 'complete')).toBe(true);
    expect(s.rounds.close(id, 60, 'again')).toBe(false);
    expect(s.rounds.markAggregated(id, { nodes: 2 }, 2)).toBe(true);
    expect(s.rounds.finish(id, 'promoted', 'ok', { nodes: 2 })).toBe(true);
    expect(s.rounds.latest()).toMatchObject({ id, state: 'promoted', reason: 'ok', closedAt: 50, candidateVersion: 2, policy: { minNodes: 2 } });
  });

  it('registry stores artifacts and merges metrics', () => {
    const s = open();
    s.registry.insert({
      version: 1, parent: null, createdAt: 5, status: 'promoted', metrics: { 'hr@10': 0.5 }, sha256: 'a'.repeat(64),
      size: 4, codec: 'int8-snapshot', numItems: 2, dim: 2, artifact: new Uint8Array([9, 8, 7, 6]), patch: null,
      patchSha256: null, roundId: null, reason: null,
    });
    expect(s.registry.mergeMetrics(1, { 'fed_hr@10': 0.4 })).toBe(true);
    expect(s.registry.get(1)).toMatchObject({ metrics: { 'hr@10': 0.5, 'fed_hr@10': 0.4 }, patchSize: null });
    expect(Array.from(s.registry.artifact(1)!)).toEqual([9, 8, 7, 6]);
    expect(s.registry.maxVersion()).toBe(1);
  });

  it('expected nodes are online, not paused and not quarantined', () => {
    const s = open();
    for (const id of ['a', 'b', 'c', 'd']) s.nodes.recordStatus({ nodeId: id, region: '1', online: id !== 'd', status: {}, seenAt: 1 });
    s.nodes.setPaused('b', true);
    s.nodes.setQuarantined('c', true);
    expect(s.nodes.expected()).toEqual(['a']);
    expect(s.nodes.onlineCount()).toBe(3);
    expect(s.nodes.isQuarantined('c')).toBe(true);
    s.nodes.recordStatus({ nodeId: 'c', region: '1', online: true, status: {}, seenAt: 2 });
    expect(s.nodes.isQuarantined('c')).toBe(true); // a status update does not lift the quarantine
  });

  it('federated metrics merge weighted by users and keep the newest report per node', () => {
    const s = open();
    s.evals.record({ nodeId: 'a', version: 3, hr10: 1, ndcg10: 0.5, users: 30, ts: 10 });
    s.evals.record({ nodeId: 'b', version: 3, hr10: 0, ndcg10: 0, users: 10, ts: 10 });
    s.evals.record({ nodeId: 'b', version: 3, hr10: 1, ndcg10: 1, users: 10, ts: 5 }); // older: ignored
    expect(s.evals.merged(3)).toEqual({ version: 3, hr10: 0.75, ndcg10: 0.375, users: 40, nodes: 2 });
    expect(s.evals.merged(4)).toBeNull();
  });

  it('strategy state keeps typed arrays; kv and audit round-trip', () => {
    const s = open();
    s.strategyState.save('fedadam', { m: new Float32Array([1.5, -2]) }, 1);
    expect((s.strategyState.load('fedadam') as { m: Float32Array }).m).toEqual(new Float32Array([1.5, -2]));
    s.strategyState.save('fedadam', null, 2);
    expect(s.strategyState.load('fedadam')).toBeNull();
    s.kv.set(KV_KEYS.activeVersion, 7);
    expect(s.kv.get<number>(KV_KEYS.activeVersion)).toBe(7);
    s.audit.append({ ts: 1, actor: 'x', role: 'admin', action: 'node.pause', target: 'a', details: { why: 'test' } });
    expect(s.audit.recent()[0]).toMatchObject({ action: 'node.pause', details: { why: 'test' } });
  });

  it('a failing transaction leaves nothing behind', () => {
    const s = open();
    expect(() =>
      s.transaction(() => {
        s.deltas.insert(delta());
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(s.deltas.get(delta().deltaId)).toBeNull();
  });
});
