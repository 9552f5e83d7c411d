import type { TrafficWeights } from '../contracts/region-provider.js';
import { failbackSteps } from './failback-steps.js';
import { shiftStep, verifyRoutingStep, type StepContext } from './failover-steps.js';
import type { FailoverKind, FailoverReport } from './failover-types.js';
import type { FailoverOperation } from './operation.js';
import type { OperationRunner } from './operation-runner.js';
import type { Step } from './step-runner.js';
import type { TrafficMove } from './strategies/traffic-policy.js';
import { activeRegions } from './weights.js';

/** One policy move to run as an operation. */
export interface MoveRequest {
  /** What started it. */
  kind: FailoverKind;
  /** The policy's move. */
  move: TrafficMove;
  /** Why. */
  reason: string;
  /** Verify routing after the shift (automatic failovers only shift). */
  verify: boolean;
  /** Runs after the move settled. */
  onSuccess?: () => void;
}

/** Checks of a failback (see {@link failbackSteps}). */
export interface FailbackMoveChecks {
  waitForHealth: boolean;
  verifySync: boolean;
}

/** Turns a traffic policy's moves into operations on the runner. */
export class MoveLauncher {
  constructor(
    private readonly runner: OperationRunner,
    private readonly ctx: StepContext,
    private readonly settings: { home: string; failbackMaxLagMillis: number; weights(): TrafficWeights },
  ) {}

  /** Shift (and, with `verify`, verify routing). */
  shift(request: MoveRequest): FailoverOperation<FailoverReport> {
    const { move, kind } = request;
    return this.#launch(request, (before) => {
      const steps: Step[] = [shiftStep(this.ctx, move.weights, before, kind)];
      if (request.verify) steps.push(verifyRoutingStep(this.ctx, activeRegions(move.weights)));
      return steps;
    });
  }

  /** The whole failback: home's health, optional sync, shift, verify routing. */
  failback(move: TrafficMove, reason: string, checks: FailbackMoveChecks, signal?: AbortSignal): FailoverOperation<FailoverReport> {
    const { home, failbackMaxLagMillis } = this.settings;
    const request: MoveRequest = { kind: 'failback', move, reason, verify: true };
    return this.#launch(request, (before) => failbackSteps(this.ctx, home, move.weights, before, { ...checks, maxLagMillis: failbackMaxLagMillis }), signal);
  }

  #launch(request: MoveRequest, steps: (before: TrafficWeights) => Step[], signal?: AbortSignal): FailoverOperation<FailoverReport> {
    const before = { ...this.settings.weights() };
    const { move } = request;
    return this.runner.launch({
      kind: request.kind,
      from: activeRegions(before),
      to: move.to,
      toRegions: activeRegions(move.weights),
      reason: request.reason,
      steps: steps(before),
      before,
      signal,
      onSuccess: () => {
        move.settle();
        request.onSuccess?.();
      },
    });
  }
}
