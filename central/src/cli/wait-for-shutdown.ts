/**
 * Resolves with the reason a long-running command should stop: SIGINT, SIGTERM or an
 * aborted `signal` (tests). Listeners are removed once it resolves.
 *
 * @example
 * const why = await waitForShutdown(opts.signal); // 'SIGTERM'
 */
export function waitForShutdown(signal?: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    const done = (why: string): void => {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigterm);
      signal?.removeEventListener('abort', onAbort);
      resolve(why);
    };
    const onSigint = (): void => done('SIGINT');
    const onSigterm = (): void => done('SIGTERM');
    const onAbort = (): void => done('abort');
    if (signal?.aborted) return resolve('abort');
    process.once('SIGINT', onSigint);
    process.once('SIGTERM', onSigterm);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
