import type { Dispatcher } from 'undici';
import type { ProbeOutcome } from './health-types.js';

/** What a probe's response must satisfy; one per prober. */
export interface ProbeResponseCheck {
  /** Accepted statuses, inclusive. */
  min: number;
  max: number;
  /** Optional check of the body; when absent the body is drained unread. */
  bodyPredicate?: (body: string, status: number) => boolean;
  /** Body bytes read for `bodyPredicate`; a longer body fails the probe. */
  maxBodyBytes: number;
}

// As undici's `body.dump()` does: past this, a body nobody reads costs its connection, not the bytes.
const DRAIN_LIMIT_BYTES = 128 * 1024;

/**
 * One probe request as an undici dispatch handler: the status is judged as soon
 * as it arrives and the body is only kept for `bodyPredicate`. Compared with
 * `request()`, a sample builds no response stream, no async resource and no
 * promise chain: the handler's callbacks settle a single promise. Never rejects.
 */
export class ProbeResponseHandler implements Dispatcher.DispatchHandler {
  /** Settles once with what this request tells about the target. */
  readonly outcome: Promise<ProbeOutcome>;
  #resolve!: (outcome: ProbeOutcome) => void;
  #done = false;
  #controller: Dispatcher.DispatchController | undefined;
  // The outcome the status gave, when the body does not matter (drained unread).
  #verdict: ProbeOutcome | undefined;
  // The body so far, when bodyPredicate judges it.
  #chunks: Buffer[] | undefined;
  #status = 0;
  #bytes = 0;

  constructor(
    private readonly check: ProbeResponseCheck,
    private readonly signal: AbortSignal,
  ) {
    this.outcome = new Promise<ProbeOutcome>((resolve) => (this.#resolve = resolve));
    signal.addEventListener('abort', this.#onAbort);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    // Aborted while it waited in the pool's queue: nobody wants the answer any more.
    if (this.#done) controller.abort(abortReason(this.signal));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, status: number): void {
    if (status < 200) return; // 1xx: the real response follows
    this.#status = status;
    const { min, max, bodyPredicate } = this.check;
    if (status < min || status > max) this.#verdict = { ok: false, status, error: `status ${status} outside ${min}-${max}` };
    else if (bodyPredicate) this.#chunks = [];
    else this.#verdict = { ok: true, status };
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#done) return;
    this.#bytes += chunk.length;
    if (this.#chunks) {
      if (this.#bytes > this.check.maxBodyBytes) {
        this.#finish({ ok: false, status: this.#status, error: `body larger than ${this.check.maxBodyBytes} bytes` });
        controller.abort(new Error('probe body too large'));
        return;
      }
      this.#chunks.push(chunk);
    } else if (this.#bytes > DRAIN_LIMIT_BYTES) {
      this.#finish(this.#verdict!);
      controller.abort(new Error('probe body too large to drain'));
    }
  }

  onResponseEnd(): void {
    if (this.#done) return;
    if (!this.#chunks) {
      this.#finish(this.#verdict!);
      return;
    }
    const status = this.#status;
    try {
      const body = Buffer.concat(this.#chunks).toString('utf8');
      this.#finish(this.check.bodyPredicate!(body, status) ? { ok: true, status } : { ok: false, status, error: 'body rejected by predicate' });
    } catch (error) {
      this.#finish({ ok: false, error: describeError(error, this.signal) });
    }
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    // A body lost after an unread response's status still counts by that status, as with `body.dump()`.
    if (this.#verdict && !this.signal.aborted) this.#finish(this.#verdict);
    else this.#finish({ ok: false, error: describeError(error, this.signal) });
  }

  readonly #onAbort = (): void => {
    this.#finish({ ok: false, error: describeError(undefined, this.signal) });
    this.#controller?.abort(abortReason(this.signal));
  };

  #finish(outcome: ProbeOutcome): void {
    if (this.#done) return;
    this.#done = true;
    this.#chunks = undefined;
    this.signal.removeEventListener('abort', this.#onAbort);
    this.#resolve(outcome);
  }
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error('aborted');
}

/** A failure's short reason: the abort's when the signal fired, else the error's codes and message. */
export function describeError(error: unknown, signal: AbortSignal): string {
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    return reason instanceof Error ? reason.message : 'aborted';
  }
  if (error instanceof Error) {
    const code = (error as { code?: string }).code;
    const cause = (error as { cause?: { code?: string } }).cause;
    return [code, cause?.code, error.message].filter(Boolean).join(': ');
  }
  return String(error);
}
