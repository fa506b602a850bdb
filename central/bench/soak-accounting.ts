import { DomainError } from '@edgerec/proto-schemas';
import { openDatabase } from '@edgerec/services/store';
import { getJson, metricSum, pollUntil, postJson, scrape } from './cluster-probes.js';
import type { ClusterEdge, LoopbackCluster } from './loopback-cluster.js';
import type { LoadDriver } from './soak-load-driver.js';

export interface EdgeAccount {
  id: string;
  acked: number;
  /** acked and found in the edge's events table */
  accounted: number;
  /** acked but not in the table */
  lost: number;
  /** acked ids stored more than once */
  duplicated: number;
  /** rows the driver never sent */
  unexpected: number;
  /** sent without a 202 (timeout, error) and stored all the same: kept, not lost */
  stored_unacked: number;
  /** learner applied every stored event exactly once (count and Σ seq match the table) */
  learner_caught_up: boolean;
  deltas_created: number;
  deltas_acked: number;
  /** deltas of this edge central counted (received_deltas: counted or late) */
  central_counted: number;
  central_rejected: number;
  version: number;
}

export interface SoakAccounting {
  edges: EdgeAccount[];
  acked: number;
  accounted: number;
  lost: number;
  duplicated: number;
  unexpected: number;
  /** every edge's deltas were counted by central exactly once (created = acked = counted, none rejected) */
  deltas_exactly_once: boolean;
  central_version: number;
  converged: boolean;
  /** how the final state was reached */
  final_sync: string[];
}

const POLL = { everyMs: 50, timeoutMs: 60_000 };

async function catchUp(e: ClusterEdge): Promise<void> {
  const { maxSeq } = await getJson<{ maxSeq: number }>(`${e.url}/v1/learner`);
  const r = await getJson<{ caughtUp: boolean }>(`${e.url}/v1/learner?waitFor=${maxSeq}&timeoutMs=30000`);
  if (!r.caughtUp) throw new DomainError('bench_timeout', 504, `${e.id}: learner did not catch up to seq ${maxSeq}`);
}

/** Forced sync until the edge has nothing left to send (retrying while it waits for a newer model). */
async function syncOut(e: ClusterEdge, log: string[]): Promise<void> {
  await pollUntil(`${e.id} to cut its last delta`, async () => {
    const { body } = await postJson<{ deltaId: string | null; reason?: string }>(`${e.url}/admin/sync`);
    if (body.deltaId) log.push(`${e.id}: final delta ${body.deltaId}`);
    return body.deltaId !== null || body.reason === 'nothing to send';
  }, POLL);
  await pollUntil(`${e.id} outbox empty`, async () => metricSum(await scrape(`${e.url}/metrics`), 'edgerec_outbox_entries') === 0, POLL);
}

/**
 * The end of a soak: with the load stopped, every learner catches up, every edge cuts and
 * ships its last delta, the open round is closed by the operator API (no waiting for its
 * deadline) and every edge installs the promoted version. Then the books: each acked event
 * id is in its edge's SQLite `events` table exactly once, the learner applied every stored
 * event once, central counted each edge's deltas once, and all edges serve central's version.
 */
export async function drainAndAccount(cluster: LoopbackCluster, driver: LoadDriver): Promise<SoakAccounting> {
  const log: string[] = [];
  await Promise.all(cluster.edges.map(catchUp));
  await Promise.all(cluster.edges.map((e) => syncOut(e, log)));
  const { rounds } = await cluster.admin<{ rounds: { id: number; state: string; deltas: number }[] }>('/admin/rounds?limit=1');
  const open = rounds.find((r) => r.state === 'open');
  if (open && open.deltas > 0) {
    const closed = await postJson<{ state?: string }>(`${cluster.central.url}/admin/rounds/current/close`, { reason: 'soak end' }, {
      authorization: `Bearer ${cluster.central.token}`,
    });
    log.push(`closed round ${open.id} (${open.deltas} deltas) via POST /admin/rounds/current/close: ${closed.status} ${closed.body?.state ?? ''}`);
  } else log.push('no open round with deltas left');
  const { value: central } = await pollUntil('every edge on central\'s active version', async () => {
    const s = await cluster.admin<{ activeVersion: number }>('/admin/sync');
    const versions = await Promise.all(cluster.edges.map((e) => getJson<{ version: number }>(`${e.url}/v1/model`)));
    return versions.every((v) => v.version === s.activeVersion) ? s : undefined;
  }, POLL).catch(() => ({ value: null }));

  const deltas = centralDeltas(cluster.central.dbPath);
  const edges: EdgeAccount[] = [];
  for (const e of cluster.edges) {
    const m = await scrape(`${e.url}/metrics`);
    const learner = await getJson<{ appliedSeq: number; maxSeq: number; appliedCount: number; appliedSeqSum: number }>(`${e.url}/v1/learner`);
    const { version } = await getJson<{ version: number }>(`${e.url}/v1/model`);
    const table = edgeEvents(e.dbPath);
    const acked = driver.acked.get(e.id)!;
    const attempted = driver.attempted.get(e.id)!;
    let accounted = 0;
    let duplicated = 0;
    for (const id of acked) {
      const n = table.counts.get(id) ?? 0;
      if (n >= 1) accounted++;
      if (n > 1) duplicated++;
    }
    let unexpected = 0;
    let storedUnacked = 0;
    for (const id of table.counts.keys()) {
      if (!attempted.has(id)) unexpected++;
      else if (!acked.has(id)) storedUnacked++;
    }
    const d = deltas.get(e.id) ?? { counted: 0, rejected: 0 };
    edges.push({
      id: e.id, acked: acked.size, accounted, lost: acked.size - accounted, duplicated, unexpected, stored_unacked: storedUnacked,
      learner_caught_up: learner.appliedSeq === learner.maxSeq && learner.appliedCount === table.rows && learner.appliedSeqSum === table.seqSum,
      deltas_created: metricSum(m, 'edgerec_sync_deltas_created_total'), deltas_acked: metricSum(m, 'edgerec_sync_deltas_acked_total'),
      central_counted: d.counted, central_rejected: d.rejected, version,
    });
  }
  const sum = (k: keyof EdgeAccount) => edges.reduce((s, x) => s + (x[k] as number), 0);
  return {
    edges, acked: sum('acked'), accounted: sum('accounted'), lost: sum('lost'), duplicated: sum('duplicated'), unexpected: sum('unexpected'),
    deltas_exactly_once: edges.every((x) => x.deltas_created === x.deltas_acked && x.deltas_created === x.central_counted && x.central_rejected === 0),
    central_version: central?.activeVersion ?? -1,
    converged: central !== null && edges.every((x) => x.version === central.activeVersion),
    final_sync: log,
  };
}

/** event_id → rows, row count and Σ seq of an edge's events table (read-only, beside the running edge: WAL). */
function edgeEvents(dbPath: string): { counts: Map<string, number>; rows: number; seqSum: number } {
  const db = openDatabase(dbPath, { readonly: true });
  try {
    const counts = new Map<string, number>();
    let rows = 0;
    let seqSum = 0;
    for (const r of db.prepare('SELECT seq, event_id AS id FROM events').iterate() as Iterable<{ seq: number; id: string }>) {
      counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
      rows++;
      seqSum += r.seq;
    }
    return { counts, rows, seqSum };
  } finally {
    db.close();
  }
}

function centralDeltas(dbPath: string): Map<string, { counted: number; rejected: number }> {
  const db = openDatabase(dbPath, { readonly: true });
  try {
    const out = new Map<string, { counted: number; rejected: number }>();
    for (const r of db.prepare('SELECT node_id AS node, status, COUNT(*) AS n FROM received_deltas GROUP BY node_id, status').all() as { node: string; status: string; n: number }[]) {
      const x = out.get(r.node) ?? { counted: 0, rejected: 0 };
      if (r.status === 'counted' || r.status === 'late') x.counted += r.n;
      else x.rejected += r.n;
      out.set(r.node, x);
    }
    return out;
  } finally {
    db.close();
  }
}
