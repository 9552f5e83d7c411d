import type { Clock } from '../clock/clock.js';
import type { TrafficWeights } from '../contracts/region-provider.js';
import { MeridianError } from '../errors/meridian-error.js';
import type { TypedEmitter } from '../events/typed-emitter.js';
import type { FailoverRecorder } from './failover-metrics.js';
import type { FailoverEvents, FailoverKind, FailoverProgress, FailoverReport } from './failover-types.js';
import { OperationHandle, type FailoverOperation } from './operation.js';
import { describe, runSteps, type Step, type StepsOutcome } from './step-runner.js';

/** What one failover, failback or drill is. */
export interface OperationRequest {
  /** What started it. */
  kind: FailoverKind;
  /** Regions with traffic before. */
  from: string[];
  /** The report's `to`. */
  to: string;
  /** Regions with traffic after, if it completes. */
  toRegions: string[];
  /** Why. */
  reason: string;
  /** Steps, rolled back in reverse on failure. */
  steps: Step[];
  /** Weights before (the report's `weightsBefore`). */
  before: TrafficWeights;
  /** The caller's signal, besides the operation's own cancel. */
  signal?: AbortSignal | undefined;
  /** Runs when every step completed, before the report is recorded. */
  onSuccess(): void;
}

/** What the runner needs of its manager. */
export interface OperationRunnerDeps {
  clock: Clock;
  events: TypedEmitter<FailoverEvents>;
  recorder: FailoverRecorder;
  historyLimit: number;
  /** The weights applied now (the report's `weightsAfter`). */
  weights(): TrafficWeights;
  /** Called when an operation ended, completed or not. */
  finished(): void;
}

/** The running operation as the manager sees it. */
export type RunningOperation = Pick<FailoverOperation<unknown>, 'id' | 'kind' | 'cancel' | 'done'>;

/** Runs one operation at a time: ids, events, progress, reports and history. */
export class OperationRunner {
  readonly #deps: OperationRunnerDeps;
  readonly #history: FailoverReport[] = [];
  #current: RunningOperation | undefined;
  #nextId = 1;

  constructor(deps: OperationRunnerDeps) {
    this.#deps = deps;
  }

  /** The running operation, if any. */
  get current(): RunningOperation | undefined {
    return this.#current;
  }

  /** Recent reports, newest last. */
  history(): FailoverReport[] {
    return [...this.#history];
  }

  /** Starts an operation whose result is its report. */
  launch(request: OperationRequest): FailoverOperation<FailoverReport> {
    return this.launchWith(request, (report) => report);
  }

  /** Starts an operation whose result `finalize` derives from its report (drills). */
  launchWith<R extends FailoverReport>(request: OperationRequest, finalize: (report: FailoverReport) => R): FailoverOperation<R> {
    const { clock, events, recorder } = this.#deps;
    const { kind, from, to, toRegions, reason, signal } = request;
    const handle = new OperationHandle<R, FailoverProgress, FailoverKind>(`${kind}-${clock.now()}-${this.#nextId++}`, kind);
    this.#current = handle;
    const started = clock.now();
    return handle.start(async (h) => {
      events.emit('failover:started', { id: h.id, kind, from, to, toRegions, reason, at: started });
      const combined = signal ? AbortSignal.any([signal, h.controller.signal]) : h.controller.signal;
      try {
        const outcome = await runSteps(request.steps, combined, clock, (step) => {
          const progress: FailoverProgress = { id: h.id, kind, step };
          h.report(progress);
          events.emit('failover:progress', progress);
        });
        const base = this.#report(h.id, request, outcome, started);
        if (!outcome.ok) throw this.#failed(base);
        request.onSuccess();
        const report = finalize(base);
        this.#record(report);
        recorder.ended(report);
        events.emit('failover:completed', report);
        return report;
      } finally {
        if (this.#current === h) this.#current = undefined;
        this.#deps.finished();
      }
    });
  }

  #failed(report: FailoverReport): MeridianError {
    this.#record(report);
    this.#deps.recorder.ended(report);
    this.#deps.events.emit('failover:failed', report);
    const what = report.outcome === 'cancelled' ? 'was cancelled' : `failed at step "${report.failedStep}"`;
    return new MeridianError('FAILOVER_FAILED', `${report.kind} to ${report.to} ${what}: ${report.error}; completed steps were rolled back`, {
      details: { report },
    });
  }

  #report(id: string, request: OperationRequest, outcome: StepsOutcome, started: number): FailoverReport {
    const report: FailoverReport = {
      id,
      kind: request.kind,
      from: request.from,
      to: request.to,
      toRegions: request.toRegions,
      reason: request.reason,
      outcome: outcome.ok ? 'completed' : outcome.cancelled ? 'cancelled' : 'failed',
      steps: outcome.steps,
      weightsBefore: request.before,
      weightsAfter: { ...this.#deps.weights() },
      startedAt: started,
      durationMillis: this.#deps.clock.now() - started,
    };
    if (outcome.failedStep) report.failedStep = outcome.failedStep;
    if (outcome.error !== undefined) report.error = describe(outcome.error);
    return report;
  }

  #record(report: FailoverReport): void {
    this.#history.push(report);
    while (this.#history.length > this.#deps.historyLimit) this.#history.shift();
  }
}
