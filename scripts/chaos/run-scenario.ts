import { findLeakedProcesses } from '@meridian/testkit';
import { missedClientGoals } from './client-goals.js';
import { scaledDeadline } from './scale.js';
import type { ChaosScenario, ScenarioContext, ScenarioReport } from './scenario.js';

const CLEANUP_MILLIS = 15_000;

/** Resolves after `ms` (real time) or when `signal` aborts, whichever is first. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/**
 * Runs one scenario within its deadline and judges it: the reaction seen,
 * nothing lost, and its client goals met. Whatever happens (pass, failure,
 * overrun) its clean-ups run, and a region process left alive fails it (and is
 * killed, by pid, so the next scenario starts clean).
 */
export async function runScenario(scenario: ChaosScenario, options: { deadlineMillis?: number; clientRatePerSecond?: number; scale?: number } = {}): Promise<ScenarioReport> {
  const base = { id: scenario.id, title: scenario.title, expected: scenario.expected };
  const notRun = scenario.notRunReason?.();
  if (notRun) return { ...base, outcome: 'not-run', reactionSeen: false, reaction: notRun, durationMillis: 0, log: [] };

  const scale = options.scale ?? 1;
  const deadlineMillis = options.deadlineMillis ?? scaledDeadline(scenario.deadlineMillis, scale);
  const controller = new AbortController();
  const cleanups: Array<() => unknown> = [];
  const pids = new Set<number>();
  const log: string[] = [];
  const ctx: ScenarioContext = {
    signal: controller.signal,
    defer: (cleanup) => void cleanups.push(cleanup),
    trackPids: (list) => {
      for (const pid of list) pids.add(pid);
    },
    log: (line) => void log.push(line),
    scale,
    ...(options.clientRatePerSecond ? { clientRatePerSecond: options.clientRatePerSecond } : {}),
  };
  const started = performance.now();
  const running = scenario.run(ctx);
  running.catch(() => undefined);
  const overrun = pause(deadlineMillis, controller.signal).then(() => 'overrun' as const);
  let report: ScenarioReport;
  try {
    const result = await Promise.race([running, overrun]);
    if (result === 'overrun') throw new Error(`overran its ${deadlineMillis} ms deadline`);
    const errors: string[] = [];
    if (!result.reactionSeen) errors.push(`expected reaction not seen: ${result.reaction}`);
    else if (result.lost > 0) errors.push(`${result.lost} of ${result.checked} lost`);
    errors.push(...missedClientGoals(scenario.clientGoals, result.clients));
    report = { ...base, outcome: errors.length === 0 ? 'pass' : 'fail', ...result, durationMillis: 0, log };
    if (errors.length > 0) report.error = errors.join('; ');
  } catch (error) {
    report = { ...base, outcome: 'fail', reactionSeen: false, reaction: '-', durationMillis: 0, error: error instanceof Error ? error.message : String(error), log };
  } finally {
    controller.abort(new Error('scenario ended'));
  }
  // The scenario had its chance to finish; now its resources go, bounded.
  await Promise.race([running.then(() => undefined, () => undefined), pause(2_000)]);
  for (const cleanup of cleanups.reverse()) {
    try {
      await Promise.race([Promise.resolve().then(cleanup), pause(CLEANUP_MILLIS).then(() => Promise.reject(new Error(`clean-up took over ${CLEANUP_MILLIS} ms`)))]);
    } catch (error) {
      log.push(`clean-up failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const leaked = await findLeakedProcesses([...pids]);
  if (leaked.length > 0) {
    for (const pid of leaked) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone in the meantime
      }
    }
    report.outcome = 'fail';
    report.error = `${report.error ? `${report.error}; ` : ''}region processes left running: ${leaked.join(', ')}`;
  }
  report.durationMillis = Math.round(performance.now() - started);
  return report;
}
