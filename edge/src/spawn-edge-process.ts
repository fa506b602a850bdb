import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** An edge node running in a child process. */
export interface EdgeProcess {
  child: ChildProcess;
  url: string;
  /** resolves when the process has exited */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** what the process wrote to stderr so far (its logs) */
  stderr(): string;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Spawns `node --import tsx edge/src/main.ts <flags>` (the real CLI entry) and resolves once it
 * printed its `{"event":"listening"}` line. For integration tests and benchmarks that need
 * the server in its own process (kill -9, no shared event loop with the load generator).
 *
 * @example
 * const edge = await spawnEdgeProcess(['--id', 'e1', '--region', 'r', '--port', '0', '--db', 'e1.db']);
 * await fetch(`${edge.url}/healthz`);
 * edge.child.kill('SIGTERM'); await edge.exited;
 */
export function spawnEdgeProcess(flags: readonly string[], timeoutMs = 60_000): Promise<EdgeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'edge/src/main.ts', ...flags], {
    cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.once('exit', (code, signal) => res({ code, signal })));
  return new Promise<EdgeProcess>((res, rej) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`edge did not start within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let msg: { event?: string; url?: string };
      try {
        msg = JSON.parse(line) as typeof msg;
      } catch {
        return;
      }
      if (msg.event === 'listening' && msg.url) {
        clearTimeout(timer);
        res({ child, url: msg.url, exited, stderr: () => stderr });
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      rej(new Error(`edge exited (${code ?? signal}) before listening: ${stderr}`));
    });
  });
}
