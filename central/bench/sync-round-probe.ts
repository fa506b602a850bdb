import { DomainError } from '@edgerec/proto-schemas';
import { HoldoutPolicy } from '@edgerec/edge/sync/holdout-evaluator';
import { openDatabase } from '@edgerec/services/store';
import { getJson, metricSum, pollUntil, postJson, scrape } from './cluster-probes.js';
import type { ClusterEdge, LoopbackCluster } from './loopback-cluster.js';

export interface RoundProbeOptions {
  cluster: LoopbackCluster;
  /** 1-based round number of the bench (names the events) */
  round: number;
  eventsPerEdge: number;
  items: number;
  /** polling pause for central's and the edges' versions (the resolution of those stages) */
  pollMs: number;
  timeoutMs: number;
}

/** One edge's view of a round: stage times in ms since the round started, bytes it moved. */
export interface EdgeRound {
  id: string;
  ack_ms: number;
  learned_ms: number;
  delta_ms: number;
  /** central's own received_at of this edge's delta (ms resolution, its clock = this machine's) */
  counted_ms: number | null;
  /** first poll that saw the edge serve the new version */
  serving_ms: number;
  delta_id: string | null;
  /** why no delta came from the forced sync (e.g. the edge had already cut it on its own) */
  delta_reason: string | null;
  up_bytes: number;
  /** the same delta rows as float32 (edgerec_sync_dense_bytes_up_total) */
  up_dense_rows_bytes: number;
  down_snapshot_bytes: number;
  down_patch_bytes: number;
}

export interface RoundMeasurement {
  round: number;
  version: number;
  /** central's final word on the round (the gate's reason once promoted) */
  round_reason: string | null;
  /** the traced edge (edge 0, with the chosen user/item) through the causal chain, ms */
  t_ack_ms: number;
  t_learned_ms: number;
  t_delta_ms: number;
  t_promoted_ms: number;
  t_all_edges_ms: number;
  /** central's own timestamps (its clock is this machine's, 1 ms): round closed; candidate registered (aggregated, before the gate) */
  t_closed_ms: number | null;
  t_candidate_ms: number | null;
  aggregation_ms: number | null;
  /** what central published for the version: int8 snapshot and sparse patch from the parent */
  snapshot_bytes: number;
  patch_bytes: number | null;
  edges: EdgeRound[];
}

const holdout = new HoldoutPolicy();
const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** Events of one edge for one round; ids are skipped when the learner would hold them out for evaluation. */
function eventsFor(round: number, edge: number, n: number, items: number) {
  const out: { eventId: string; user: string; item: string; type: 'click' }[] = [];
  for (let k = 0, salt = 0; out.length < n; k++) {
    // edge 0's first event is the traced one: a chosen user and item
    const user = edge === 0 && out.length === 0 ? 'traced-user' : `u${edge}-${k % 5}`;
    const item = `i${(round * 101 + edge * 37 + k * 13) % items}`;
    let eventId = `lat-${round}-${edge}-${k}`;
    while (holdout.isHeldOut({ user, eventId })) eventId = `lat-${round}-${edge}-${k}-${++salt}`;
    out.push({ eventId, user, item, type: 'click' });
  }
  return out;
}

interface Counters {
  up: number;
  dense: number;
  snap: number;
  patch: number;
}

async function counters(edge: ClusterEdge): Promise<Counters> {
  const t = await scrape(`${edge.url}/metrics`);
  return {
    up: metricSum(t, 'edgerec_sync_bytes_up_total'), dense: metricSum(t, 'edgerec_sync_dense_bytes_up_total'),
    snap: metricSum(t, 'edgerec_sync_model_bytes_down_total', { kind: 'snapshot' }),
    patch: metricSum(t, 'edgerec_sync_model_bytes_down_total', { kind: 'patch' }),
  };
}

/** The edge half of a round: ingest (202), learned (long-poll), forced sync; times since `t0`. */
async function edgeChain(edge: ClusterEdge, events: ReturnType<typeof eventsFor>, target: number, t0: number, timeoutMs: number) {
  const ack = await postJson<{ accepted: number }>(`${edge.url}/v1/events`, { events });
  if (ack.status !== 202 || ack.body.accepted !== events.length) {
    throw new DomainError('bench_ingest', 502, `${edge.id}: POST /v1/events answered ${ack.status} ${JSON.stringify(ack.body)}`);
  }
  const ackAt = performance.now() - t0;
  const learner = await getJson<{ caughtUp: boolean }>(`${edge.url}/v1/learner?waitFor=${target}&timeoutMs=${Math.min(30_000, timeoutMs)}`);
  if (!learner.caughtUp) throw new DomainError('bench_timeout', 504, `${edge.id}: learner did not reach seq ${target}`);
  const learnedAt = performance.now() - t0;
  const sync = await postJson<{ deltaId: string | null; reason?: string; published: boolean }>(`${edge.url}/admin/sync`);
  if (sync.status !== 200) throw new DomainError('bench_sync', 502, `${edge.id}: POST /admin/sync answered ${sync.status} ${JSON.stringify(sync.body)}`);
  return { ackAt, learnedAt, deltaAt: performance.now() - t0, deltaId: sync.body.deltaId, reason: sync.body.reason ?? null };
}

/**
 * One explicitly driven round, timed as a causal chain: every edge gets `eventsPerEdge`
 * events (edge 0's first is the traced user/item) → 202 → its learner applied them
 * (`/v1/learner?waitFor=`) → forced sync (`POST /admin/sync`, answered once the delta is
 * published) → central promoted the next version (polled on `/admin/sync` from the traced
 * edge's sync answer on) → every edge serves it (polled on `/v1/model` from then on). Each
 * stage is the first observation after the previous one, so the chain is ordered by
 * construction and each figure overstates the true moment by at most one poll + one request.
 */
export async function measureRound(o: RoundProbeOptions): Promise<RoundMeasurement> {
  const { cluster, pollMs, timeoutMs } = o;
  const edges = cluster.edges;
  const before = await Promise.all(edges.map(counters));
  const seqs = await Promise.all(edges.map((e) => getJson<{ maxSeq: number }>(`${e.url}/v1/learner`)));
  const prev = await cluster.admin<{ activeVersion: number; currentRound: number | null }>('/admin/sync');
  const batches = edges.map((_, i) => eventsFor(o.round, i, o.eventsPerEdge, o.items));

  const t0 = performance.now();
  const t0Epoch = performance.timeOrigin + t0;
  const chains = edges.map((e, i) => edgeChain(e, batches[i], seqs[i].maxSeq + batches[i].length, t0, timeoutMs));
  chains.forEach((c) => c.catch(() => undefined)); // awaited below; keeps an early failure from being unhandled
  const traced = await chains[0];
  const promoted = await pollUntil('central to promote the next version', async () => {
    const s = await cluster.admin<{ activeVersion: number; currentRound: number | null }>('/admin/sync');
    if (s.activeVersion > prev.activeVersion) return s;
    if (s.currentRound !== prev.currentRound) {
      throw new DomainError('bench_round', 500, `round ${prev.currentRound} ended without a promotion (see GET /admin/rounds)`);
    }
    return undefined;
  }, { everyMs: pollMs, timeoutMs }).catch(async (e: Error) => {
    const ended = await cluster.admin<{ rounds: { id: number; state: string; reason: string | null }[] }>('/admin/rounds?limit=3').catch(() => null);
    throw new DomainError('bench_round', 500, `${e.message}; recent rounds: ${JSON.stringify(ended?.rounds ?? [])}`);
  });
  const version = promoted.value.activeVersion;
  const promotedAt = promoted.at - t0;
  const serving = await Promise.all(edges.map((e) =>
    pollUntil(`${e.id} to serve v${version}`, async () => (await getJson<{ version: number }>(`${e.url}/v1/model`)).version >= version,
      { everyMs: pollMs, timeoutMs })));
  const done = [traced, ...(await Promise.all(chains.slice(1)))];

  const after = await Promise.all(edges.map(counters));
  const { rounds } = await cluster.admin<{ rounds: { candidateVersion: number | null; closedAt: number | null; reason: string | null; aggregationMs: number | null }[] }>('/admin/rounds?limit=5');
  const closed = rounds.find((r) => r.candidateVersion === version);
  const { models } = await cluster.admin<{ models: { version: number; createdAt: number; size: number; patchSize: number | null }[] }>('/admin/models?limit=5');
  const model = models.find((m) => m.version === version);
  const received = receivedAt(cluster.central.dbPath, done.map((d) => d.deltaId).filter((d): d is string => d !== null));
  return {
    round: o.round, version, round_reason: closed?.reason ?? null,
    t_ack_ms: r3(traced.ackAt), t_learned_ms: r3(traced.learnedAt), t_delta_ms: r3(traced.deltaAt), t_promoted_ms: r3(promotedAt),
    t_all_edges_ms: r3(Math.max(...serving.map((s) => s.at - t0))),
    t_closed_ms: closed?.closedAt != null ? r3(closed.closedAt - t0Epoch) : null,
    t_candidate_ms: model ? r3(model.createdAt - t0Epoch) : null,
    aggregation_ms: closed?.aggregationMs != null ? r3(closed.aggregationMs) : null,
    snapshot_bytes: model?.size ?? 0, patch_bytes: model?.patchSize ?? null,
    edges: edges.map((e, i): EdgeRound => {
      const d = done[i];
      const at = d.deltaId ? received.get(d.deltaId) : undefined;
      return {
        id: e.id, ack_ms: r3(d.ackAt), learned_ms: r3(d.learnedAt), delta_ms: r3(d.deltaAt),
        counted_ms: at === undefined ? null : r3(at - t0Epoch), serving_ms: r3(serving[i].at - t0),
        delta_id: d.deltaId, delta_reason: d.reason,
        up_bytes: after[i].up - before[i].up, up_dense_rows_bytes: after[i].dense - before[i].dense,
        down_snapshot_bytes: after[i].snap - before[i].snap, down_patch_bytes: after[i].patch - before[i].patch,
      };
    }),
  };
}

/** received_at (epoch ms, central's clock) of the given deltas, from central's SQLite file opened read-only. */
function receivedAt(dbPath: string, deltaIds: string[]): Map<string, number> {
  const out = new Map<string, number>();
  if (deltaIds.length === 0) return out;
  const db = openDatabase(dbPath, { readonly: true });
  try {
    const rows = db.prepare(`SELECT delta_id AS id, received_at AS at FROM received_deltas WHERE delta_id IN (${deltaIds.map(() => '?').join(',')})`)
      .all(...deltaIds) as { id: string; at: number }[];
    for (const r of rows) out.set(r.id, r.at);
  } finally {
    db.close();
  }
  return out;
}
