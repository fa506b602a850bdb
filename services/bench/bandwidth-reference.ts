import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentileOf, round4 } from './latency-stats.js';

function timeP50(reps: number, run: () => void): number {
  const t = new Float64Array(reps);
  for (let r = 0; r < reps; r++) {
    const s = performance.now();
    run();
    t[r] = performance.now() - s;
  }
  return percentileOf(t, 0.5);
}

export interface BandwidthProbe {
  bytes: number;
  /** p50 of `Float32Array.set` over `bytes` (reads and writes `bytes` each) */
  copy_ms: number;
  /** (read + written bytes) / copy_ms */
  copy_GBps: number;
  /** p50 of `Buffer.compare` of two equal `bytes`-long buffers (native memcmp: reads 2·bytes) */
  read2x_ms: number;
  /** 2·bytes / read2x_ms: what a native streaming reader gets here */
  read_GBps: number;
  /** bytes / read_GBps: no sgemv that reads the table once can be faster than this */
  read_bound_ms: number;
}

/**
 * Memory bandwidth over the same number of bytes a scoring query reads: the floor under
 * any flat inner-product search (BLAS sgemv included), which reads every table byte once.
 *
 * @example
 * probeBandwidth(50_000 * 64 * 4).read_bound_ms;
 */
export function probeBandwidth(bytes: number, reps = 200): BandwidthProbe {
  const n = Math.ceil(bytes / 4);
  const src = new Float32Array(n).fill(1);
  const dst = new Float32Array(n);
  const copyMs = timeP50(reps, () => dst.set(src));
  const a = Buffer.alloc(bytes, 7);
  const b = Buffer.alloc(bytes, 7);
  let sink = 0;
  const readMs = timeP50(reps, () => {
    sink += Buffer.compare(a, b);
  });
  if (sink !== 0) throw new Error('buffers differ');
  const readGBps = (2 * bytes) / 1e6 / readMs;
  return {
    bytes,
    copy_ms: round4(copyMs),
    copy_GBps: round4((2 * bytes) / 1e6 / copyMs),
    read2x_ms: round4(readMs),
    read_GBps: round4(readGBps),
    read_bound_ms: round4(bytes / 1e6 / readGBps),
  };
}

export type NativeGemv = { p50_ms: number; p99_ms: number; simd: string; compiler: string } | { skipped: string };

/**
 * Compiles services/bench/native-gemv.c with the system C compiler (`-O3 -march=native`)
 * and times it: the stand-in for a BLAS sgemv where no BLAS is installed. Skipped (with
 * the reason) where no compiler is found.
 *
 * @example
 * runNativeGemv(50_000, 64, 2000); // { p50_ms, p99_ms, simd: 'avx2-fma', compiler: 'cc' }
 */
export function runNativeGemv(items: number, dim: number, queries: number): NativeGemv {
  const src = fileURLToPath(new URL('./native-gemv.c', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'edgerec-gemv-'));
  try {
    const bin = join(dir, 'native-gemv');
    for (const cc of ['cc', 'gcc', 'clang']) {
      const built = spawnSync(cc, ['-O3', '-march=native', '-o', bin, src], { encoding: 'utf8' });
      if (built.status !== 0) continue;
      const run = spawnSync(bin, [String(items), String(dim), String(queries)], { encoding: 'utf8', timeout: 120_000 });
      if (run.status !== 0) return { skipped: `native-gemv exited ${run.status}: ${run.stderr}` };
      return { ...(JSON.parse(run.stdout) as { p50_ms: number; p99_ms: number; simd: string }), compiler: cc };
    }
    return { skipped: 'no C compiler (cc, gcc, clang) could build native-gemv.c' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
