import { MeridianError, type MeridianErrorCode } from '@meridian/core';

/** `meta/v1 Status`, as the apiserver sends it with every error. */
export interface KubeStatusBody {
  kind?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: Array<{ reason?: string; message?: string; field?: string; type?: string }>;
    retryAfterSeconds?: number;
  };
}

/** Who asked what, for error messages that name the region and the cause. */
export interface CallContext {
  /** `region "eu-west"`, `DNS cluster`, `lease store`. */
  owner: string;
  /** Machine-readable owner (region id) for `details`. */
  regionId?: string;
  /** The apiserver URL (never credentials). */
  server: string;
  /** What was being done: `apply Deployment shop/checkout`. */
  what: string;
  /** The Kubernetes verb: `patch`, `get`, `list` ... */
  verb: string;
  /** The resource: `deployments.apps`, `configmaps`. */
  resource: string;
  /** The namespace, when the resource is namespaced. */
  namespace?: string;
  /** Code for a cluster that cannot be reached: REGION_UNAVAILABLE for a provider, STORE_UNAVAILABLE for a store. */
  unavailableCode: MeridianErrorCode;
}

const base = (ctx: CallContext, extra: Record<string, unknown>): Record<string, unknown> => ({
  ...(ctx.regionId ? { regionId: ctx.regionId } : {}),
  server: ctx.server,
  verb: ctx.verb,
  resource: ctx.resource,
  ...(ctx.namespace ? { namespace: ctx.namespace } : {}),
  ...extra,
});

/** The managers named in apply-conflict causes (`conflict with "kubectl" using apps/v1`). */
export function conflictingManagers(body: KubeStatusBody): string[] {
  const managers = new Set<string>();
  for (const cause of body.details?.causes ?? []) {
    const match = /conflict with "([^"]+)"/.exec(cause.message ?? '');
    if (match) managers.add(match[1]!);
  }
  if (managers.size === 0) for (const m of (body.message ?? '').matchAll(/conflicts? with "([^"]+)"/g)) managers.add(m[1]!);
  return [...managers];
}

/** Turns an apiserver error answer into a coded MeridianError naming the owner (region) and the cause. */
export function statusError(ctx: CallContext, status: number, body: KubeStatusBody | undefined, attempts: number): MeridianError {
  const message = body?.message ?? `HTTP ${status}`;
  const reason = body?.reason ?? '';
  const details = base(ctx, { status, reason, ...(body?.details?.causes ? { causes: body.details.causes } : {}) });
  const where = ctx.namespace ? ` in namespace "${ctx.namespace}"` : '';
  switch (status) {
    case 401:
      return new MeridianError('PROVIDER_ERROR', `${ctx.owner}: unauthorized (token expired or invalid) at ${ctx.server}; could not ${ctx.what}`, { details });
    case 403:
      return new MeridianError('PROVIDER_ERROR', `${ctx.owner}: RBAC denied "${ctx.verb}" on ${ctx.resource}${where}; could not ${ctx.what}: ${message}`, { details });
    case 409: {
      const managers = conflictingManagers(body ?? {});
      if (managers.length > 0 || body?.details?.causes?.some((c) => c.type === 'FieldManagerConflict')) {
        const fields = (body?.details?.causes ?? []).map((c) => c.field).filter(Boolean);
        return new MeridianError(
          'PROVIDER_ERROR',
          `${ctx.owner}: server-side apply conflict, could not ${ctx.what}: ${fields.length > 0 ? `${fields.join(', ')} ${fields.length === 1 ? 'is' : 'are'} ` : ''}owned by field manager ${managers.map((m) => `"${m}"`).join(', ')}; set forceConflicts: true to take ${fields.length === 1 ? 'it' : 'them'} over`,
          { details: { ...details, managers, fields } },
        );
      }
      return new MeridianError('PROVIDER_ERROR', `${ctx.owner}: conflict, could not ${ctx.what}: ${message}`, { details });
    }
    case 422: {
      const causes = body?.details?.causes ?? [];
      const fields = causes.map((c) => `${c.field ?? '(object)'}: ${c.message ?? c.reason ?? 'invalid'}`);
      return new MeridianError('INVALID_CONFIG', `${ctx.owner}: the apiserver refused to ${ctx.what} as invalid: ${fields.length > 0 ? fields.join('; ') : message}`, {
        details: { ...details, fields: causes.map((c) => c.field).filter(Boolean) },
      });
    }
    case 404:
      return new MeridianError('PROVIDER_ERROR', `${ctx.owner}: not found, could not ${ctx.what}: ${message}`, { details });
    default: {
      const tries = attempts > 1 ? ` (${attempts} attempts)` : '';
      const code: MeridianErrorCode = status === 503 || status === 504 ? ctx.unavailableCode : 'PROVIDER_ERROR';
      return new MeridianError(code, `${ctx.owner}: the apiserver answered ${status}${reason ? ` ${reason}` : ''}${tries}, could not ${ctx.what}: ${message}`, { details });
    }
  }
}

/** A cluster that refused, reset or did not answer: REGION_UNAVAILABLE (or the store's code) naming the owner. */
export function unreachableError(ctx: CallContext, cause: unknown, attempts: number): MeridianError {
  const code = (cause as NodeJS.ErrnoException)?.code ?? (cause as Error)?.message ?? String(cause);
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  return new MeridianError(ctx.unavailableCode, `${ctx.owner}: cluster ${ctx.server} is unreachable (${code})${tries}; could not ${ctx.what}`, {
    cause,
    details: base(ctx, { network: code }),
  });
}
