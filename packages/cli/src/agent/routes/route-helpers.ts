import { findRegion, type Disposable } from '@meridian/core';
import type { z } from 'zod';
import type { ControlPlane } from '../control-plane.js';
import type { Reply } from '../admin-server.js';
import { HttpError } from '../http-errors.js';

/** Sends one NDJSON event. */
export type Send = (event: Record<string, unknown>) => void;

/** Validates a request body; a mismatch is a 400 naming the path. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(body)';
  throw new HttpError(400, 'INVALID_ARGUMENT', `${path}: ${issue.message}`);
}

/** A configured region's id, or REGION_NOT_FOUND naming the known ones. */
export function knownRegion(plane: ControlPlane, id: string): string {
  return findRegion(plane.config.regions, id).id;
}

/**
 * Streams an operation: `attach` subscribes before `start` runs (so even the
 * first step is seen; events are buffered until the response starts), then
 * the result or error follows. Listeners are disposed when it settles, or at
 * once when `start` throws (a refusal answered with its own status). A client
 * that goes away does not cancel the operation.
 */
export function operationReply<T extends PromiseLike<unknown>>(attach: (emit: Send) => Disposable[], start: () => T): Reply & { operation: T } {
  const buffered: Array<Record<string, unknown>> = [];
  let live: Send | undefined;
  const subscriptions = attach((event) => (live ? live(event) : buffered.push(event)));
  const dispose = (): void => {
    for (const s of subscriptions.splice(0)) s.dispose();
  };
  let operation: T;
  try {
    operation = start();
  } catch (error) {
    dispose();
    throw error;
  }
  const settled = Promise.resolve(operation);
  settled.catch(() => undefined);
  return {
    operation,
    stream: async (send) => {
      for (const event of buffered.splice(0)) send(event);
      live = send;
      try {
        return await settled;
      } finally {
        dispose();
      }
    },
  };
}
