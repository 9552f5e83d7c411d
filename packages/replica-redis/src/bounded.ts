/** A call that took longer than its bound (`commandTimeoutMillis`, `connectTimeoutMillis`). */
export class CallTimeoutError extends Error {
  constructor(readonly timeoutMillis: number, option: string) {
    super(`no answer within ${timeoutMillis} ms (${option})`);
    this.name = 'CallTimeoutError';
  }
}

/**
 * Settles with `pending`, or rejects when `signal` aborts or `timeoutMillis`
 * pass, whichever comes first. node-redis drops a command on abort or timeout
 * only while it is unsent; once written, this is what stops the caller waiting.
 * A late answer is ignored.
 */
export function bounded<T>(pending: Promise<T>, signal: AbortSignal | undefined, timeoutMillis: number, option = 'commandTimeoutMillis'): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const finish = (settle: () => void): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      settle();
    };
    const onAbort = (): void => finish(() => reject(signal!.reason));
    const timer = setTimeout(() => finish(() => reject(new CallTimeoutError(timeoutMillis, option))), timeoutMillis);
    timer.unref();
    signal?.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (value) => finish(() => resolve(value)),
      (error: unknown) => finish(() => reject(error)),
    );
  });
}
