/** An ARM error response: `{ error: { code, message, target?, details? } }` with an HTTP status. */
export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: { target?: string; details?: { code: string; message: string; target?: string }[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'ArmError';
  }

  /** The body ARM sends. */
  body(): { error: Record<string, unknown> } {
    const error: Record<string, unknown> = { code: this.code, message: this.message };
    if (this.extra.target) error.target = this.extra.target;
    if (this.extra.details) error.details = this.extra.details;
    return { error };
  }
}

/** 400 `InvalidParameter` naming the offending property, as compute and network RPs send it. */
export const invalidParameter = (target: string, message: string): ArmError => new ArmError(400, 'InvalidParameter', message, { target });

/** 404 for a resource id that does not exist (`ResourceNotFound`, the ARM wording). */
export const resourceNotFound = (type: string, name: string, group: string): ArmError =>
  new ArmError(404, 'ResourceNotFound', `The Resource '${type}/${name}' under resource group '${group}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);

/** 400 `InvalidResourceReference`: a body refers to a resource id that does not exist. */
export const invalidReference = (referenced: string, by: string): ArmError =>
  new ArmError(400, 'InvalidResourceReference', `Resource ${referenced} referenced by resource ${by} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`, { details: [] });
