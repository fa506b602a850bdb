import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventIn } from '@edgerec/proto-schemas';
import { SeededRandom } from '@edgerec/services/data';
import { type Durability, openEdgeDatabase } from '@edgerec/services/store';
import { createEdgeCore } from '../src/edge-core.js';
import { round3 } from './percentiles.js';

export interface IngestBenchOptions {
  /** events through the full path (default 50 000) */
  events?: number;
  /** events per ingest call, i.e. per HTTP request (default 100) */
  batch?: number;
  /** requests in flight at once, as concurrent clients of a server would have (default 8) */
  concurrency?: number;
  /** most events for the one-transaction-per-event baseline (default 2000, also capped at 5 s) */
  baselineEvents?: number;
  items?: number;
  dim?: number;
  durability?: Durability;
  json?: boolean;
  seed?: number;
}

export interface IngestBenchResult {
  events: number;
  batch: number;
  durability: Durability;
  /** durable commit + online learning, end to end (until the learner caught up and checkpointed) */
  events_per_s: number;
  /** commit path alone (sum of the ingest calls) */
  commit_events_per_s: number;
  concurrency: number;
  /** fdatasync calls of the group commit, and events each one made durable on average */
  fsyncs: number;
  events_per_fsync: number;
  /** the same batches committed at synchronous=FULL (fsync inside COMMIT, on the event loop), no learner */
  inline_fsync_commit: { events: number; events_per_s: number };
  baseline: { events: number; events_per_s: number; kind: string };
  speedup_vs_baseline: number;
  seconds: number;
}

/**
 * `edgerec bench ingest`: durable events/s through the edge's real ingest path (validation
 * result → data-quality filter → one transaction per batch) with the online learner
 * consuming concurrently, measured until every event is learned and checkpointed. Baseline
 * in the same run: a plain single-row INSERT per event, each in its own transaction, with
 * the same durability setting.
 *
 * @example
 * const r = await runIngestBench({ events: 50_000, batch: 100 });
 * r.events_per_s / r.baseline.events_per_s;
 */
export async function runIngestBench(opts: IngestBenchOptions = {}): Promise<IngestBenchResult> {
  const total = opts.events ?? 50_000;
  const batch = opts.batch ?? 100;
  const items = opts.items ?? 5000;
  const durability = opts.durability ?? 'power';
  const rng = new SeededRandom(opts.seed ?? 7);
  const types = ['view', 'click', 'play', 'purchase'] as const;
  const events: EventIn[] = Array.from({ length: total }, (_, n) => ({
    eventId: `e${n}`, user: `u${rng.nextInt(2000)}`, item: `i${rng.nextInt(items)}`, type: types[rng.nextInt(4)],
  }));
  const dir = mkdtempSync(join(tmpdir(), 'edgerec-ingest-bench-'));
  try {
    const core = createEdgeCore({
      edb: openEdgeDatabase(join(dir, 'edge.db'), { durability }), nodeId: 'bench', region: 'bench', seed: 7,
      numItems: items, dim: opts.dim ?? 64, rateLimit: { perSecond: 1e9, burst: 1e9 },
    });
    let commitMs = 0;
    const concurrency = opts.concurrency ?? 8;
    const started = performance.now();
    let next = 0;
    // Each client: commit a batch, wait until it is durable (the 202), send the next one.
    const client = async () => {
      while (next < total) {
        const i = next;
        next += batch;
        const t = performance.now();
        const out = core.ingestor.ingest({ events: events.slice(i, i + batch) });
        commitMs += performance.now() - t;
        if (out.status !== 202) throw new Error(`ingest refused a batch: ${JSON.stringify(out.body)}`);
        await core.edb.durable();
        await new Promise<void>((r) => setImmediate(r)); // the server's next request arrives on a later turn
      }
    };
    await Promise.all(Array.from({ length: concurrency }, client));
    if (!(await core.learner.waitForApplied(core.edb.events.maxSeq(), 120_000))) throw new Error('learner did not catch up');
    core.learner.checkpoint();
    await core.edb.durable();
    const seconds = (performance.now() - started) / 1000;
    const fsyncs = core.edb.syncs;
    core.close();
    const inline = inlineFsyncCommits(join(dir, 'inline.db'), events.slice(0, Math.min(total, 10_000)), batch, durability, items);

    const baseline = baselineInserts(join(dir, 'baseline.db'), events.slice(0, opts.baselineEvents ?? 2000), durability);
    const result: IngestBenchResult = {
      events: total, batch, durability,
      events_per_s: round3(total / seconds),
      commit_events_per_s: round3(total / (commitMs / 1000)),
      concurrency, fsyncs, events_per_fsync: round3(fsyncs > 0 ? total / fsyncs : 0), inline_fsync_commit: inline,
      baseline: { ...baseline, kind: 'single-row INSERT, one transaction per event' },
      speedup_vs_baseline: round3(total / seconds / baseline.events_per_s),
      seconds: round3(seconds),
    };
    if (opts.json === false) {
      process.stderr.write(`ingest ${result.events_per_s} events/s (commit only ${result.commit_events_per_s}) vs baseline ${baseline.events_per_s} events/s\n`);
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same batched commits with the fsync inside COMMIT (synchronous=FULL), one at a time, no learner. */
function inlineFsyncCommits(path: string, events: EventIn[], batch: number, durability: Durability, items: number) {
  const core = createEdgeCore({
    edb: openEdgeDatabase(path, { durability, groupCommit: false }), nodeId: 'inline', region: 'bench', seed: 7,
    numItems: items, dim: 8, rateLimit: { perSecond: 1e9, burst: 1e9 },
  });
  core.learner.stop({ checkpoint: false }); // the commit path alone
  const started = performance.now();
  for (let i = 0; i < events.length; i += batch) core.ingestor.ingest({ events: events.slice(i, i + batch) });
  const seconds = (performance.now() - started) / 1000;
  core.close();
  return { events: events.length, events_per_s: round3(events.length / seconds) };
}

function baselineInserts(path: string, events: EventIn[], durability: Durability) {
  const edb = openEdgeDatabase(path, { durability, groupCommit: false });
  const insert = edb.db.prepare(`INSERT INTO events (event_id, user, item, item_idx, type, weight, ts, committed_at)
    VALUES (?, ?, ?, 0, ?, 1, 0, 0)`);
  const started = performance.now();
  let n = 0;
  for (const e of events) {
    insert.run(e.eventId, e.user, e.item, e.type); // autocommit: its own transaction
    n++;
    if (performance.now() - started > 5000) break;
  }
  const seconds = (performance.now() - started) / 1000;
  edb.close();
  return { events: n, events_per_s: round3(n / seconds) };
}
