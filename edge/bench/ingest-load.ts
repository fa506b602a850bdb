import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { IngestPosterOptions, IngestPosterResult } from './ingest-poster.js';

/** An ingest poster running in its own process. */
export interface IngestLoad {
  /** pid of the poster's process */
  pid: number | undefined;
  /** stops posting and resolves with what the poster did once its process exited */
  stop(): Promise<IngestPosterResult>;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Runs {@link startIngestPoster} in a child process (`node --import tsx
 * edge/bench/ingest-load-child.ts`) and resolves once it posts. Why a process of its own: when
 * the ingest traffic came from the load generator's process, its fetch calls, JSON and GC
 * paused that process's event loop (up to 13–16 ms) and those pauses were reported as server
 * latency; its own process leaves the measuring event loop to the measurement. The OS
 * still shares the cores, which is what a real deployment does too.
 *
 * @example
 * const load = await startIngestLoad({ url: edge.url, eventsPerSecond: 500, items: 50_000, users: 500, seed: 8 });
 * const latencies = await openLoopLoad({ url: edge.url, path, rate: 1000, seconds: 8 });
 * const ingest = await load.stop(); // { accepted, failed, events_per_s, client: { eld_p99_ms, … } }
 */
export function startIngestLoad(opts: IngestPosterOptions, timeoutMs = 30_000): Promise<IngestLoad> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'edge/bench/ingest-load-child.ts', JSON.stringify(opts)], {
    cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  // 'close' comes after stdout ended, so every line of the child has been read by then.
  const closed = new Promise<number | null>((res) => child.once('close', (code) => res(code)));
  child.stdin!.on('error', () => undefined); // a poster that already died: its exit reports it
  let result: IngestPosterResult | undefined;
  const stop = async (): Promise<IngestPosterResult> => {
    child.stdin!.end('stop\n');
    const code = await closed;
    if (!result) throw new Error(`ingest load exited (${code}) without a result: ${stderr}`);
    return result;
  };
  return new Promise<IngestLoad>((res, rej) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`ingest load did not start within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let msg: { event?: string } & Partial<IngestPosterResult>;
      try {
        msg = JSON.parse(line) as typeof msg;
      } catch {
        return;
      }
      if (msg.event === 'ready') {
        clearTimeout(timer);
        res({ pid: child.pid, stop });
      } else if (msg.event === 'result') {
        const { event: _event, ...rest } = msg;
        result = rest as IngestPosterResult;
      }
    });
    void closed.then((code) => {
      clearTimeout(timer);
      rej(new Error(`ingest load exited (${code}) before it started: ${stderr}`));
    });
  });
}
