/**
 * Holdout scoring throughput per compute backend: the users × items score matrix the
 * validation gate computes, on the typed-array reference (baseline) and on every other
 * backend that loads here. Prints one JSON line.
 *
 *   npx tsx central/bench/holdout-scoring-bench.ts [--users 943] [--items 1682] [--dim 64] [--reps 5]
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { selectComputeBackend, typedArrayBackend, type BackendName, type ComputeBackend } from '../src/backend/index.js';

const { values } = parseArgs({
  options: { users: { type: 'string' }, items: { type: 'string' }, dim: { type: 'string' }, reps: { type: 'string' } },
});
const users = Number(values.users ?? 943);
const items = Number(values.items ?? 1682);
const dim = Number(values.dim ?? 64);
const reps = Number(values.reps ?? 5);

let seed = 1;
const rand = (n: number) =>
  Float32Array.from({ length: n }, () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 1073741824 - 1;
  });
const q = rand(users * dim);
const e = rand(items * dim);
const b = rand(items);

function time(backend: ComputeBackend): { median_ms: number; gflop_per_s: number } {
  backend.scoreMatrix(q, users, e, items, dim, b); // warm-up (tfjs compiles kernels)
  const ms: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    backend.scoreMatrix(q, users, e, items, dim, b);
    ms.push(performance.now() - t0);
  }
  ms.sort((x, y) => x - y);
  const median = ms[Math.floor(ms.length / 2)];
  return { median_ms: +median.toFixed(2), gflop_per_s: +((2 * users * items * dim) / median / 1e6).toFixed(2) };
}

const result: Record<string, unknown> = { users, items, dim, reps, baseline: { backend: 'typed-array', ...time(typedArrayBackend) } };
const backends: Record<string, unknown> = {};
for (const name of ['tfjs-node-gpu', 'tfjs-node', 'tfjs-wasm'] as BackendName[]) {
  const { backend, skipped } = await selectComputeBackend({ candidates: [name], calibrate: false });
  backends[name] = backend.name === name ? time(backend) : { skipped: skipped[0]?.reason ?? 'not loaded' };
}
result.backends = backends;
process.stdout.write(`${JSON.stringify(result)}\n`);
