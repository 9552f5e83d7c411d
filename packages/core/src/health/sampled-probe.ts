import type { ProbeOutcome } from './health-types.js';
import type { Prober, ProbeTarget } from './prober.js';

/**
 * Runs `samples` probes of one target in parallel and succeeds as soon as one
 * does; fails only when every sample failed. This is Route 53's several
 * checkers and Azure Front Door's sample size in one process: independent
 * packet loss of p fails a probe with p^samples, while a dead or hung region
 * fails every sample at once, so detection time does not grow.
 */
export function sampledProbe(prober: Prober, target: ProbeTarget, samples: number, signal: AbortSignal): Promise<ProbeOutcome> {
  return new Promise<ProbeOutcome>((resolve) => {
    let settled = false;
    let failed = 0;
    let firstFailure: ProbeOutcome | undefined;
    // The deadline is ours, not the prober's: a prober whose request does not honour the
    // signal (a socket stuck behind a partition) must not stall the monitor's loop.
    // One listener per probe, not per sample: every sample still out fails with it.
    const onAbort = (): void => {
      const reason: unknown = signal.reason;
      failed = samples - 1;
      onOutcome({ ok: false, error: reason instanceof Error ? reason.message : 'aborted' });
    };
    const settle = (outcome: ProbeOutcome): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const onOutcome = (outcome: ProbeOutcome): void => {
      if (settled) return;
      if (outcome.ok) {
        settle(outcome);
        return;
      }
      firstFailure ??= outcome;
      if (++failed < samples) return;
      settle(samples === 1 ? firstFailure : { ...firstFailure, error: `${firstFailure.error ?? 'failed'} (${samples}/${samples} samples failed)` });
    };
    const onThrow = (error: unknown): void => onOutcome({ ok: false, error: error instanceof Error ? error.message : String(error) });
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    const options = { signal };
    for (let i = 0; i < samples && !settled; i++) {
      try {
        // Promise.resolve: a prober typed loosely may hand back a plain outcome.
        Promise.resolve(prober.probe(target, options)).then(onOutcome, onThrow);
      } catch (error) {
        onThrow(error);
      }
    }
  });
}
