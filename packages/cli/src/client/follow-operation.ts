import { CliError, EXIT } from '../exit-codes.js';
import type { CommandContext } from '../commands/context.js';
import { STOPPED_FOLLOWING, type AgentEvent } from './admin-client.js';
import { askYesNo } from './ask.js';

/** How a followed operation ended for the client. */
export type Followed<T> = { result: T } | { detached: { id: string; kind: string } };

/** What `follow` needs besides the request. */
export interface FollowOptions {
  /** Leave the operation running once it has an id, print the id, and return. */
  detach?: boolean;
  /** Progress events (everything but the operation's id line). */
  onEvent?: (event: AgentEvent) => void;
  /** Where Ctrl-C comes from (the process; a test may pass its own emitter). */
  signals?: NodeJS.EventEmitter;
  /** Whether to ask before cancelling: default when stdin and stderr are both terminals. */
  interactive?: boolean;
  /** Where the answer is read from. Default stdin. */
  input?: NodeJS.ReadableStream;
}

/**
 * Starts an operation on the agent and follows its progress. Ctrl-C asks
 * whether to cancel it on the agent (y/N on a terminal: no leaves it running
 * and prints its id); without a terminal, Ctrl-C cancels it. A cancelled
 * operation ends in CANCELLED (exit 6) once the agent has rolled it back;
 * `--detach` returns as soon as the agent has given the operation its id.
 */
export async function follow<T>(ctx: CommandContext, method: 'POST', path: string, body: unknown, options: FollowOptions = {}): Promise<Followed<T>> {
  const client = ctx.client();
  const signals = options.signals ?? process;
  const interactive = options.interactive ?? (process.stdin.isTTY === true && ctx.io.stderr.isTTY === true);
  const stop = new AbortController();
  let op: { id: string; kind: string } | undefined;
  let cancelWanted = false;
  let cancelSent: Promise<void> | undefined;
  let detachedByUser = false;
  let deciding: AbortController | undefined;

  const sendCancel = (): void => {
    if (!op || cancelSent) return;
    const { id, kind } = op;
    ctx.io.stderr.write(`cancelling ${kind} ${id} on the agent (it rolls back) ...\n`);
    cancelSent = client.call<unknown>('POST', `/v1/operations/${encodeURIComponent(id)}/cancel`, {}).then(
      () => undefined,
      // Already over (it ended as the cancel arrived): the stream's result says how.
      (error: unknown) => void ctx.io.stderr.write(`cancel: ${(error as Error).message}\n`),
    );
  };
  const onInterrupt = (): void => {
    // --detach means "leave it running": Ctrl-C before the id arrived only stops waiting for it.
    if (options.detach) {
      stop.abort();
      return;
    }
    if (deciding) {
      // A second Ctrl-C while asked: no, leave it running.
      deciding.abort();
      return;
    }
    if (!interactive) {
      cancelWanted = true;
      sendCancel();
      return;
    }
    if (!op) {
      // Nothing to name yet: cancel as soon as the agent says what it started.
      cancelWanted = true;
      return;
    }
    deciding = new AbortController();
    const { id, kind } = op;
    void askYesNo(`\ncancel ${kind} ${id} on the agent?`, { input: options.input ?? process.stdin, output: ctx.io.stderr }, deciding.signal).then((yes) => {
      deciding = undefined;
      if (yes) {
        cancelWanted = true;
        sendCancel();
      } else {
        detachedByUser = true;
        stop.abort();
      }
    });
  };
  signals.on('SIGINT', onInterrupt);
  try {
    const result = await client.call<T>(
      method,
      path,
      body,
      (event) => {
        if (event.type !== 'operation') return options.onEvent?.(event);
        op = { id: String(event['id']), kind: String(event['kind']) };
        ctx.io.stderr.write(`${op.kind} ${op.id} started on the agent${options.detach ? '' : ' (Ctrl-C to cancel it)'}\n`);
        if (options.detach) stop.abort();
        else if (cancelWanted) sendCancel();
      },
      { signal: stop.signal },
    );
    await cancelSent;
    // It ended with a result despite the cancel: it was done already, or (evacuate) it stopped early with what it had moved.
    if (cancelWanted) ctx.io.stderr.write(`${op?.kind ?? 'operation'} ${op?.id ?? ''} ended with a result after the cancel (see below)\n`);
    return { result };
  } catch (error) {
    if (error instanceof CliError && error.code === STOPPED_FOLLOWING) {
      if (!op) throw new CliError('interrupted before the agent named the operation; it may have started: meridian operations lists it', EXIT.FAILED, { code: 'INTERRUPTED' });
      if (detachedByUser) ctx.io.stderr.write(`left ${op.kind} ${op.id} running on the agent; \`meridian cancel ${op.id}\` stops it\n`);
      return { detached: op };
    }
    await cancelSent;
    if (cancelWanted && error instanceof CliError && op) {
      throw new CliError(`${op.kind} ${op.id} was cancelled on the agent: ${error.message}`, EXIT.CANCELLED, { code: 'CANCELLED', cause: error });
    }
    throw error;
  } finally {
    signals.off('SIGINT', onInterrupt);
  }
}

/** Prints a detached operation: its id on stdout (or JSON), how to cancel it on stderr. */
export function printDetached(ctx: CommandContext, op: { id: string; kind: string }, json: boolean | undefined): void {
  if (json) ctx.io.stdout.write(`${JSON.stringify({ detached: true, operation: op }, null, 2)}\n`);
  else ctx.io.stdout.write(`${op.id}\n`);
  ctx.io.stderr.write(`${op.kind} ${op.id} runs on the agent; follow it with meridian status, stop it with meridian cancel ${op.id}\n`);
}
