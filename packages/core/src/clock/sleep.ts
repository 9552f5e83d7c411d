import { abortError } from '../errors/abort.js';
import type { Clock } from './clock.js';

/** Waits `millis` on `clock`; rejects with ABORTED as soon as `signal` aborts. */
export function sleep(clock: Clock, millis: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal, 'sleep'));
      return;
    }
    const onAbort = (): void => {
      timer.cancel();
      reject(abortError(signal!, 'sleep'));
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, millis);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
