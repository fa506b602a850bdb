import { monitorEventLoopDelay } from 'node:perf_hooks';
import { cloneWeights, RecommenderModel, type UserState } from '@edgerec/services/model';
import { simdScorerOf } from '@edgerec/services/model/simd';
import type { AnnOptions } from './ann-options.js';
import { AnnServing } from './ann-serving.js';
import type { AnnRestoreReport } from './ann-status.js';

export interface AnnRestartBenchOptions {
  /** the model as it is when the edge stops: the restarted edge serves a copy of its weights (tracker counts at zero) */
  model: RecommenderModel;
  /** where the index was kept (the serving's keepPath) and its folder */
  keepPath: string;
  dir: string;
  options: AnnOptions;
  /** top-10 queries: user (with history) and the items to exclude */
  queries: readonly { user: UserState; seen: Set<number> }[];
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

/**
 * A restart of an edge whose index was kept: boots an AnnServing over a copy of `model`'s
 * weights with the same keepPath, and measures the time from `start()` to serving from the
 * kept index (`ready_ms`, with the restore's own split), the event loop's worst stall
 * meanwhile, the rows found changed, and top-10 recall against the exact f32 scan with
 * p50/p99 through the restored serving. Throws when nothing was restored. A rebuild the
 * restore asks for is stopped (the serving is closed) right after the queries.
 *
 * @example
 * // in runAnnServingBench, with keepPath given to its AnnServing, after `await serving.close()`:
 * const restart = await measureAnnRestart({ model, keepPath: join(dir, 'bench.db'), dir, options: serving.options, queries: qs });
 */
export async function measureAnnRestart(o: AnnRestartBenchOptions) {
  const model = new RecommenderModel(cloneWeights(o.model.weights), o.model.config);
  const scorer = simdScorerOf(model.weights);
  const exact = (q: { user: UserState; seen: Set<number> }) =>
    scorer
      ? scorer.topK(Float32Array.from(model.userQuery(q.user, q.user.recent)), 10, q.seen).map((s) => s.item)
      : model.topK(q.user, 10, q.seen, q.user.recent).map((s) => s.item);
  let report: AnnRestoreReport | null = null;
  let rejected: Error | null = null;
  let readyMs = NaN;
  let done!: () => void;
  const restored = new Promise<void>((resolve) => (done = resolve));
  const lag = monitorEventLoopDelay({ resolution: 1 });
  lag.enable(); // baseline: this (possibly shared) machine's stalls with an idle event loop
  await new Promise((resolve) => setTimeout(resolve, 1000));
  lag.disable();
  const idle = { max_ms: r3(lag.max / 1e6), p99_ms: r3(lag.percentile(99) / 1e6) };
  lag.reset();
  const serving = new AnnServing({
    holder: { model, version: 0, onSwap: () => {} }, dir: o.dir, keepPath: o.keepPath, options: o.options,
    observer: {
      restored: (r) => {
        readyMs = performance.now() - t0;
        report = r;
        done();
      },
      restoreRejected: (_, e) => {
        rejected = e;
        done();
      },
    },
  });
  lag.enable();
  const t0 = performance.now();
  serving.start();
  await Promise.race([restored, serving.idle()]);
  lag.disable();
  try {
    const r = report as AnnRestoreReport | null;
    if (!r) throw new Error(`nothing restored: ${(rejected as Error | null)?.message ?? 'no kept index'}`);
    const times: number[] = [];
    let hit = 0;
    for (const q of o.queries) {
      const s = performance.now();
      const got = serving.topK(q.user, 10, q.seen, q.user.recent);
      times.push(performance.now() - s);
      const want = exact(q);
      hit += got.filter((x) => want.includes(x.item)).length / Math.max(1, want.length);
    }
    return {
      ready_ms: r3(readyMs), read_ms: r3(r.readMs), verify_ms: r3(r.verifyMs), load_ms: r3(r.loadMs), load_block_ms: r3(r.loadBlockMs),
      compare_ms: r3(r.compareMs), compare_max_turn_ms: r3(r.compareMaxTurnMs),
      event_loop_max_ms: r3(lag.max / 1e6), event_loop_p99_ms: r3(lag.percentile(99) / 1e6), idle_event_loop: idle,
      changed_rows: r.changedRows, rebuild: r.rebuild, recall_at_10: r3(hit / o.queries.length),
      p50_ms: r3(quantile(times, 0.5)), p99_ms: r3(quantile(times, 0.99)), queries: o.queries.length,
    };
  } finally {
    await serving.close();
  }
}
