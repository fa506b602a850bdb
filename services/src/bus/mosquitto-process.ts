import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrokerUser } from './mqtt-acl.js';
import { renderMosquittoAcl, renderMosquittoConf, renderMosquittoPasswords } from './mosquitto-config.js';
import { freePort, waitForPort } from './tcp-port.js';

export interface MosquittoOptions {
  /** Working directory for the config, password/ACL files and mosquitto.db; created if missing. */
  dataDir: string;
  /** Default: a free port. */
  port?: number;
  host?: string;
  /** Without users the broker is anonymous and has no ACL. */
  users?: readonly BrokerUser[];
  /** Default: $MOSQUITTO_BIN or the usual install paths. */
  binary?: string;
  /** Default 10_000 ms. */
  startTimeoutMs?: number;
}

export interface MosquittoProcess {
  url: string;
  port: number;
  /** Of the current process; changes on restart. */
  readonly pid: number;
  /** SIGTERM (mosquitto saves its persistence file), then waits for exit. */
  stop(): Promise<void>;
  /** Starts again on the same port with the same files (sessions and retained messages survive). */
  start(): Promise<void>;
  restart(): Promise<void>;
  /** Recent stdout/stderr lines, for failure messages. */
  logs(): string;
}

const CANDIDATES = ['/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto', '/opt/homebrew/sbin/mosquitto', '/usr/bin/mosquitto'];

/** Path of the mosquitto binary, or undefined when none is installed. */
export function mosquittoBinary(): string | undefined {
  const fromEnv = process.env.MOSQUITTO_BIN;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  return CANDIDATES.find((p) => existsSync(p));
}

/**
 * Whether a mosquitto binary is available (tests skip the mosquitto suite without it).
 *
 * @example
 * describe.skipIf(!hasMosquitto())('against mosquitto', () => { ... });
 */
export const hasMosquitto = (): boolean => mosquittoBinary() !== undefined;

/**
 * Writes mosquitto.conf (+ passwd and acl when users are given) into `dir`.
 * Returns the config path.
 */
export async function writeMosquittoFiles(
  dir: string,
  opts: { port: number; host?: string; users?: readonly BrokerUser[] },
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const passwordFile = join(dir, 'passwd');
  const aclFile = join(dir, 'acl');
  if (opts.users) {
    await writeFile(passwordFile, renderMosquittoPasswords(opts.users, () => randomBytes(12)), { mode: 0o600 });
    await writeFile(aclFile, renderMosquittoAcl(opts.users), { mode: 0o600 });
  }
  const conf = renderMosquittoConf({
    port: opts.port,
    host: opts.host,
    passwordFile: opts.users ? passwordFile : undefined,
    aclFile: opts.users ? aclFile : undefined,
    persistenceDir: dir,
    // Started as root, mosquitto would drop to the `mosquitto` account and lose access to `dir`.
    runAsUser: process.getuid?.() === 0 ? 'root' : undefined,
  });
  const confPath = join(dir, 'mosquitto.conf');
  await writeFile(confPath, conf);
  return confPath;
}

/**
 * Runs a real mosquitto with a generated config (password file, ACL, persistence)
 * and resolves once its port accepts connections. The child is killed if this
 * process exits first.
 *
 * @example
 * const broker = await startMosquitto({ dataDir: await mkdtemp(join(tmpdir(), 'mq-')), users });
 * // … broker.url …
 * await broker.stop();
 */
export async function startMosquitto(opts: MosquittoOptions): Promise<MosquittoProcess> {
  const binary = opts.binary ?? mosquittoBinary();
  if (!binary) throw new Error('mosquitto not found: install it (apt-get install mosquitto) or set MOSQUITTO_BIN');
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? (await freePort(host));
  const confPath = await writeMosquittoFiles(opts.dataDir, { port, host, users: opts.users });
  const log: string[] = [];
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const killOnExit = (): void => {
    child?.kill('SIGKILL');
  };

  const start = async (): Promise<void> => {
    if (child) return;
    const proc = spawn(binary, ['-c', confPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let exitInfo: string | undefined;
    exited = new Promise((resolve) =>
      proc.once('exit', (code, signal) => {
        exitInfo = `mosquitto exited (code ${code}, signal ${signal})`;
        if (child === proc) child = undefined;
        resolve();
      }),
    );
    const keep = (chunk: Buffer): void => {
      log.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      log.splice(0, Math.max(0, log.length - 200));
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    process.once('exit', killOnExit);
    const abort = (): Error | undefined => (exitInfo ? new Error(`${exitInfo}:\n${log.join('\n')}`) : undefined);
    try {
      await waitForPort(port, { host, timeoutMs: opts.startTimeoutMs ?? 10_000, abort });
    } catch (err) {
      proc.kill('SIGKILL');
      process.removeListener('exit', killOnExit);
      throw err;
    }
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    if (!proc) return;
    const done = exited;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await done;
    clearTimeout(timer);
    process.removeListener('exit', killOnExit);
  };

  await start();
  return {
    url: `mqtt://${host}:${port}`,
    port,
    get pid() {
      return child?.pid ?? -1;
    },
    stop,
    start,
    restart: async () => {
      await stop();
      await start();
    },
    logs: () => log.join('\n'),
  };
}
