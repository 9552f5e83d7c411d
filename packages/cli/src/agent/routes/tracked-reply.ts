import type { Disposable } from '@meridian/core';
import type { Reply } from '../admin-server.js';
import { HttpError } from '../http-errors.js';
import type { OperationKind, Operations } from '../operations.js';
import { operationReply, type Send } from './route-helpers.js';

/** What a tracked operation's start returns: the engine's handle (id, cancel) and what settles. */
export interface Started<T> {
  /** The engine's handle. */
  handle: { readonly id?: string; cancel(reason?: string): void };
  /** Settles with the result. */
  done: PromiseLike<T>;
  /** What the result says in a line, kept with the operation (`meridian cancel` prints it). */
  summarize?: (result: T) => string;
}

/**
 * {@link operationReply} for an operation a client may cancel later: it is
 * tracked in `operations`, and the stream's first line after any `start` is
 * `{ type: 'operation', id, kind }`, so the client knows what to cancel
 * (Ctrl-C) or to print (`--detach`).
 */
export function trackedReply<T>(operations: Operations, kind: OperationKind, attach: (emit: Send) => Disposable[], start: () => Started<T>): Reply {
  let emit: Send = () => undefined;
  return operationReply(
    (send) => {
      emit = send;
      return attach(send);
    },
    () => {
      const { handle, done, summarize } = start();
      const info = operations.track(kind, handle, done, summarize);
      emit({ type: 'operation', id: info.id, kind });
      // Ended in an error after a cancel (from this client or `meridian cancel`): CANCELLED, so every client following
      // it exits 6 (cancelled and rolled back), not 1 as for a failure of its own. The engine's message is kept.
      return Promise.resolve(done).catch((error: unknown) => {
        if (info.cancelReason === undefined) throw error;
        throw new HttpError(409, 'CANCELLED', error instanceof Error ? error.message : String(error), { cancelReason: info.cancelReason });
      });
    },
  );
}
