/**
 * Who waits for which installed model version: listeners called after every install, and
 * promises that resolve once a version is reached (tests, the federated evaluation).
 *
 * @example
 * const waiters = new InstallWaiters(() => holder.version);
 * await waiters.waitFor(3, 10_000);
 * waiters.installed(3); // from the installer
 */
export class InstallWaiters {
  private readonly listeners: ((version: number) => void)[] = [];

  constructor(private readonly current: () => number) {}

  /** Calls `listener(version)` after every install; returns the way to stop. */
  on(listener: (version: number) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  installed(version: number): void {
    for (const l of [...this.listeners]) l(version);
  }

  /** Resolves once the installed version is at least `version`; rejects after `timeoutMs`. */
  waitFor(version: number, timeoutMs: number): Promise<void> {
    if (this.current() >= version) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`model version ${version} not installed within ${timeoutMs} ms (at ${this.current()})`));
      }, timeoutMs);
      const off = this.on((v) => {
        if (v < version) return;
        clearTimeout(timer);
        off();
        resolve();
      });
    });
  }
}
