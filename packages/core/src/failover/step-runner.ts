import type { Clock } from '../clock/clock.js';
import { MeridianError } from '../errors/meridian-error.js';
import type { StepRecord } from './failover-types.js';

/** One step of an operation: `run`, and `undo` for rollback. */
export interface Step {
  /** Name in reports and progress events. */
  name: string;
  /** Does the work; returns a detail for the report, or `{ skipped }` when the step does not apply. */
  run(signal: AbortSignal): Promise<string | SkippedStep | void>;
  /** Undoes a completed `run` during rollback (runs without the signal: rollback must finish). */
  undo?(): Promise<void>;
}

/** What a step returns when it does not apply. */
export interface SkippedStep {
  /** Why it was skipped. */
  skipped: string;
}

/** Outcome of {@link runSteps}. */
export interface StepsOutcome {
  /** Every step completed (or was skipped). */
  ok: boolean;
  /** Each step with status and timings, rollbacks included. */
  steps: StepRecord[];
  /** The step that failed. */
  failedStep?: string;
  /** What it threw. */
  error?: unknown;
  /** The signal aborted the run. */
  cancelled: boolean;
}

/**
 * Runs steps in order; when one fails or the signal aborts, undoes the
 * completed ones in reverse. Undo runs without the signal: a cancelled
 * failover must still put traffic back.
 */
export async function runSteps(steps: Step[], signal: AbortSignal, clock: Clock, onStep: (record: StepRecord) => void): Promise<StepsOutcome> {
  const records: StepRecord[] = [];
  const done: Array<{ step: Step; record: StepRecord }> = [];
  let failure: { step: Step; error: unknown } | undefined;
  for (const step of steps) {
    const record: StepRecord = { name: step.name, status: 'running', startedAt: clock.now() };
    records.push(record);
    onStep({ ...record });
    try {
      if (signal.aborted) throw signal.reason;
      const result = await step.run(signal);
      if (signal.aborted) throw signal.reason;
      record.finishedAt = clock.now();
      if (typeof result === 'object' && result !== null && 'skipped' in result) {
        record.status = 'skipped';
        record.detail = result.skipped;
      } else {
        record.status = 'completed';
        if (typeof result === 'string') record.detail = result;
        done.push({ step, record });
      }
      onStep({ ...record });
    } catch (error) {
      record.status = 'failed';
      record.finishedAt = clock.now();
      record.detail = describe(error);
      onStep({ ...record });
      failure = { step, error };
      break;
    }
  }
  if (!failure) return { ok: true, steps: records, cancelled: false };
  for (const { step, record } of done.reverse()) {
    if (!step.undo) continue;
    try {
      await step.undo();
      record.status = 'rolled-back';
    } catch (error) {
      record.status = 'rollback-failed';
      record.detail = `${record.detail ? `${record.detail}; ` : ''}rollback failed: ${describe(error)}`;
    }
    onStep({ ...record });
  }
  return { ok: false, steps: records, failedStep: failure.step.name, error: failure.error, cancelled: signal.aborted };
}

/** A short, secret-free description of an error. */
export function describe(error: unknown): string {
  if (MeridianError.isInstance(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
