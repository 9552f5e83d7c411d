import type { ArmContext } from './arm-context.js';
import { ArmError } from './arm-error.js';
import type { ArmReply } from './resource-handlers.js';

/** `GET <Azure-AsyncOperation>`: 200 with `status` InProgress, then Succeeded or Failed (with `error`). */
export function handleOperationStatus(ctx: ArmContext, id: string): ArmReply {
  const operation = ctx.operations.get(id);
  if (!operation) throw new ArmError(404, 'OperationNotFound', `The operation '${id}' could not be found.`);
  const status = !operation.done ? 'InProgress' : operation.failure ? 'Failed' : 'Succeeded';
  return {
    status: 200,
    body: {
      name: operation.id,
      status,
      startTime: new Date(operation.startedAt).toISOString(),
      ...(operation.done ? { endTime: new Date(operation.readyAt).toISOString() } : {}),
      ...(operation.failure ? operation.failure.body() : {}),
    },
  };
}

/** `GET <Location>`: 202 (same Location) while running; then the failure, 200 with a body, or 204. */
export function handleOperationResult(ctx: ArmContext, id: string, selfUrl: string, groupDelete: boolean): ArmReply {
  const operation = ctx.operations.get(id);
  if (!operation) throw new ArmError(404, 'OperationNotFound', `The operation '${id}' could not be found.`);
  if (!operation.done) return { status: 202, headers: { Location: selfUrl } };
  if (operation.failure) throw operation.failure;
  // Actions end with 200 (no body), as compute's do; deletes with 204 (groups: 200).
  if (operation.resultBody) return { status: 200, body: operation.resultBody() };
  return { status: groupDelete ? 200 : 204 };
}
