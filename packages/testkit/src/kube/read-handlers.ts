import { served, type ApiContext } from './api-context.js';
import type { KubeObject } from './kube-object.js';
import type { ResourceTarget } from './request-target.js';
import { groupVersion, resourceKey, type ResourceType } from './resource-types.js';
import { toScale } from './scale.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { badRequest, KubeStatusError, resourceNotFound } from './status.js';
import { toTable, wantsTable } from './table.js';

/** A handler's answer: JSON body, status code and extra headers. */
export interface ApiResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** The output form a request asked for. */
export interface ReadFormat {
  accept: string | undefined;
  includeObject: string | null;
}

/** Label and field selectors of a list or watch as one predicate. */
export function selectorOf(type: ResourceType, query: URLSearchParams): (o: KubeObject) => boolean {
  const labels = parseLabelSelector(query.get('labelSelector'));
  const fields = parseFieldSelector(query.get('fieldSelector'), type.kind);
  return (o) => labels(o.metadata.labels ?? {}) && fields(o);
}

/** GET of one object (or of its `/status` or `/scale`). */
export function handleGet(ctx: ApiContext, target: ResourceTarget, format: ReadFormat): ApiResponse {
  const { type, namespace, name, subresource } = target;
  const object = ctx.getOrNotFound(type, namespace, name!);
  if (subresource === 'scale' && type.subresources.includes('scale')) return { status: 200, body: toScale(object) };
  if (subresource !== undefined && !(subresource === 'status' && type.subresources.includes('status'))) throw resourceNotFound();
  if (wantsTable(format.accept)) return { status: 200, body: toTable(type.kind, [served(type, object)], object.metadata.resourceVersion!, format.includeObject, ctx.clock.now()) };
  return { status: 200, body: served(type, object) };
}

interface ContinueToken {
  rv: number;
  after: string;
}

/** LIST with label and field selectors, `limit`/`continue` paging and `resourceVersion` semantics. */
export function handleList(ctx: ApiContext, target: ResourceTarget, query: URLSearchParams, format: ReadFormat): ApiResponse {
  const { type, namespace } = target;
  const current = ctx.store.currentRevision;
  const rvParam = query.get('resourceVersion');
  if (rvParam && rvParam !== '0') {
    const requested = Number(rvParam);
    if (!Number.isInteger(requested)) throw badRequest(`resourceVersion: Invalid value: "${rvParam}": must be a valid integer`);
    if (requested > current) {
      throw new KubeStatusError(504, 'Timeout', `Too large resource version: ${requested}, current: ${current}`, {
        causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
        retryAfterSeconds: 1,
      });
    }
    if (query.get('resourceVersionMatch') === 'Exact' && requested !== current && requested < ctx.store.oldestWatchableRevision) {
      throw new KubeStatusError(410, 'Expired', 'The resourceVersion for the provided list is too old.');
    }
  }
  const matches = selectorOf(type, query);
  let items = ctx.store.list(resourceKey(type), namespace || undefined).filter(matches);
  const token = query.get('continue');
  if (token) {
    let parsed: ContinueToken;
    try {
      parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as ContinueToken;
    } catch {
      throw badRequest('continue key is not valid: illegal base64 data at input byte 0');
    }
    if (parsed.rv < ctx.store.oldestWatchableRevision) {
      throw new KubeStatusError(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
    }
    items = items.filter((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}` > parsed.after);
  }
  const limit = Number(query.get('limit') ?? 0);
  const metadata: Record<string, unknown> = { resourceVersion: String(current) };
  if (limit > 0 && items.length > limit) {
    const last = items[limit - 1]!;
    metadata['continue'] = Buffer.from(JSON.stringify({ rv: current, after: `${last.metadata.namespace ?? ''}/${last.metadata.name}` })).toString('base64');
    metadata['remainingItemCount'] = items.length - limit;
    items = items.slice(0, limit);
  }
  if (wantsTable(format.accept)) {
    const table = toTable(type.kind, items.map((o) => served(type, o)), String(current), format.includeObject, ctx.clock.now());
    return { status: 200, body: { ...table, metadata } };
  }
  // Like the real server, items of built-in lists carry no apiVersion/kind; custom resources keep them.
  const body = items.map((o) => (type.crdName ? served(type, o) : stripTypeMeta(o)));
  return { status: 200, body: { kind: `${type.kind}List`, apiVersion: groupVersion(type), metadata, items: body } };
}

function stripTypeMeta(object: KubeObject): KubeObject {
  const { apiVersion: _a, kind: _k, ...rest } = object;
  return rest as KubeObject;
}
