import type { ProbeOutcome } from './health-types.js';
import type { Prober, ProbeTarget } from './prober.js';

/**
 * Runs `samples` probes of one target in parallel and succeeds as soon as one
 * does; fails only when every sample failed. This is Route 53's several
 * checkers and Azure Front Door's sample size in one process: independent
 * packet loss of p fails a probe with p^samples, while a dead or hung region
 * fails every sample at once, so detection time does not grow.
 */
export async function sampledProbe(prober: Prober, target: ProbeTarget, samples: number, signal: AbortSignal): Promise<ProbeOutcome> {
  // The deadline is ours, not the prober's: a prober whose request does not honour the
  // signal (a socket stuck behind a partition) must not stall the monitor's loop.
  const deadline = new Promise<ProbeOutcome>((resolve) => {
    const onAbort = (): void => {
      const reason: unknown = signal.reason;
      resolve({ ok: false, error: reason instanceof Error ? reason.message : 'aborted' });
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  const attempt = async (): Promise<ProbeOutcome> => {
    try {
      return await Promise.race([prober.probe(target, { signal }), deadline]);
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  };
  if (samples === 1) return attempt();
  return new Promise<ProbeOutcome>((resolve) => {
    let failed = 0;
    let firstFailure: ProbeOutcome | undefined;
    for (let i = 0; i < samples; i++) {
      void attempt().then((outcome) => {
        if (outcome.ok) {
          resolve(outcome);
          return;
        }
        firstFailure ??= outcome;
        if (++failed === samples) {
          resolve({ ...firstFailure, error: `${firstFailure.error ?? 'failed'} (${samples}/${samples} samples failed)` });
        }
      });
    }
  });
}
