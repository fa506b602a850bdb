import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DomainError } from '@edgerec/proto-schemas';

/** The `edgerec` launcher, so children run the same code as this process. */
export const EDGEREC_BIN = join(dirname(fileURLToPath(import.meta.url)), '../../../bin/edgerec.js');

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  /** first JSON line the child printed with `"event":"listening"` */
  ready: Record<string, unknown>;
  /** resolves with the exit code when the child ends */
  exited: Promise<number | null>;
}

/**
 * Spawns `edgerec <args>` as a real child process, sends its stderr (logs) to
 * `logDir/<name>.log`, and resolves once it prints its `{"event":"listening",…}` line.
 * A child that exits or stays silent for `timeoutMs` is an error naming its log file.
 */
export function spawnEdgerec(name: string, args: string[], logDir: string, timeoutMs = 60_000): Promise<ManagedProcess> {
  mkdirSync(logDir, { recursive: true });
  const logPath = join(logDir, `${name}.log`);
  const log = createWriteStream(logPath, { flags: 'a' });
  const child = spawn(process.execPath, [EDGEREC_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr?.pipe(log);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new DomainError('start_failed', 500, `${name} did not become ready in ${timeoutMs} ms (see ${logPath})`));
    }, timeoutMs);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new DomainError('start_failed', 500, `${name} exited with code ${code} before it was ready (see ${logPath})`));
    });
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      log.write(`[stdout] ${line}\n`);
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      if (msg.event === 'listening') {
        clearTimeout(timer);
        resolve({ name, child, ready: msg, exited });
      }
    });
  });
}

/**
 * Stops the children one after the other in the given order (SIGTERM, SIGKILL after
 * `graceMs`): callers pass dependents first (simulator, edges, central, broker), so no
 * process loses its broker while it is still shutting down.
 */
export async function stopAll(procs: ManagedProcess[], graceMs = 10_000): Promise<void> {
  for (const p of procs) {
    if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
    p.child.kill('SIGTERM');
    const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
    await p.exited;
    clearTimeout(timer);
  }
}
