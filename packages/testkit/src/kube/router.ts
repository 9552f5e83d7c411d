import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import type { ApiContext } from './api-context.js';
import type { Authenticator } from './auth.js';
import { acceptsAggregated, AGGREGATED_DISCOVERY, aggregatedDiscovery, coreVersions, FAKE_KUBE_VERSION, groupDocument, groupList, resourceList } from './discovery.js';
import type { FaultInjector } from './faults.js';
import { openApiDocument } from './openapi.js';
import { handlePatch } from './patch-handler.js';
import { handleGet, handleList, selectorOf, type ApiResponse, type ReadFormat } from './read-handlers.js';
import { parsePath, type ResourceTarget } from './request-target.js';
import { badRequest, KubeStatusError, methodNotAllowed, notAcceptable, resourceNotFound, unsupportedMediaType } from './status.js';
import { serveWatch, type WatchSettings } from './watch-stream.js';
import { handleCreate, handleDelete, handleDeleteCollection, handleUpdate, type WriteRequest } from './write-handlers.js';

/** One served request, for tests that check what a client did (retries, verbs). */
export interface RequestRecord {
  method: string;
  path: string;
  /** The Kubernetes verb (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`), if a resource was asked for. */
  verb?: string;
  status: number;
  userAgent?: string;
}

/** What the router needs from the server around it. */
export interface RouterDeps {
  ctx: ApiContext;
  auth: Authenticator;
  faults: FaultInjector;
  watch: WatchSettings;
  serverAddress: () => string;
  /** Open watch streams: each entry ends its stream abruptly. */
  watches: Set<() => void>;
  record: (entry: RequestRecord) => void;
}

const MAX_BODY_BYTES = 3 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => (size > MAX_BODY_BYTES ? reject(new KubeStatusError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728')) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, contentType = 'application/json'): void {
  if (res.headersSent || res.destroyed) return;
  const text = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  res.writeHead(status, { 'Audit-Id': randomUUID(), 'Cache-Control': 'no-cache, private', 'Content-Type': contentType, ...headers });
  res.end(text);
}

/** JSON is the one encoding served: a client that takes only protobuf (or CBOR) gets 406. */
function checkAccept(accept: string | undefined): void {
  if (!accept) return;
  const ok = accept.split(',').some((part) => {
    const type = part.split(';')[0]!.trim().toLowerCase();
    return type === 'application/json' || type === '*/*' || type === 'application/*' || type === 'application/yaml';
  });
  if (!ok) throw notAcceptable(['application/json', 'application/yaml']);
}

function verbOf(method: string, target: ResourceTarget, query: URLSearchParams): string {
  const watch = query.get('watch');
  switch (method) {
    case 'GET':
      if (target.name !== undefined) return 'get';
      return watch === '1' || watch === 'true' ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return target.name !== undefined ? 'delete' : 'deletecollection';
    default:
      throw methodNotAllowed();
  }
}

function parseWriteBody(body: Buffer, contentType: string | undefined): unknown {
  const type = (contentType ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json' && type !== 'application/yaml' && type !== '') throw unsupportedMediaType(['application/json', 'application/yaml']);
  const text = body.toString('utf8');
  try {
    return type === 'application/yaml' ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(error as Error).message}`);
  }
}

/** Serves one request: authentication, faults, discovery, OpenAPI and resources; every error as a Status. */
export async function route(deps: RouterDeps, req: IncomingMessage, res: ServerResponse, latencyMillis: number): Promise<void> {
  const { ctx } = deps;
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', 'https://fake-kube-apiserver');
  const record: RequestRecord = { method, path: url.pathname + url.search, status: 0, ...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'] } : {}) };
  let recorded = false;
  res.once('finish', () => !recorded && deps.record({ ...record, status: res.statusCode }));
  try {
    const body = await readBody(req);
    if (latencyMillis > 0) await new Promise((resolve) => setTimeout(resolve, latencyMillis));
    const grant = deps.auth.authenticate(req.headers.authorization);
    const parsed = parsePath(url.pathname, ctx.registry);
    let verb = method === 'GET' ? 'get' : method.toLowerCase();
    if (parsed.kind === 'resource') record.verb = verb = verbOf(method, parsed.target, url.searchParams);
    const resource = parsed.kind === 'resource' ? parsed.target.type.plural : undefined;
    const fault = deps.faults.take(verb, resource);
    if (fault) throw fault;

    if (parsed.kind === 'other') {
      const path = url.pathname.replace(/\/+$/, '');
      if (path === '/version') return send(res, 200, FAKE_KUBE_VERSION);
      if (path === '/healthz' || path === '/livez' || path === '/readyz') return send(res, 200, 'ok', {}, 'text/plain; charset=utf-8');
      if (path.startsWith('/openapi/')) {
        const doc = openApiDocument(ctx.registry, path, req.headers.accept);
        if (doc) return send(res, 200, doc.body, {}, doc.contentType);
      }
      return send(res, 404, '404 page not found\n', {}, 'text/plain; charset=utf-8');
    }
    checkAccept(req.headers.accept);
    if (parsed.kind === 'discovery') {
      if (method !== 'GET') throw methodNotAllowed();
      if (!parsed.version && (parsed.core || parsed.group === '') && acceptsAggregated(req.headers.accept)) {
        return send(res, 200, aggregatedDiscovery(ctx.registry, parsed.core), { Vary: 'Accept' }, AGGREGATED_DISCOVERY);
      }
      const doc = parsed.core
        ? parsed.version
          ? resourceList(ctx.registry, '', parsed.version)
          : coreVersions(deps.serverAddress())
        : parsed.group === ''
          ? groupList(ctx.registry)
          : parsed.version
            ? resourceList(ctx.registry, parsed.group, parsed.version)
            : groupDocument(ctx.registry, parsed.group);
      if (!doc) throw resourceNotFound();
      return send(res, 200, doc);
    }

    const target = parsed.target;
    const subresource = target.subresource;
    if (subresource !== undefined && !(target.type.subresources as string[]).includes(subresource)) throw resourceNotFound();
    deps.auth.authorize(grant, {
      verb,
      group: target.type.group,
      resource: subresource ? `${target.type.plural}/${subresource}` : target.type.plural,
      ...(target.namespace ? { namespace: target.namespace } : {}),
      ...(target.name !== undefined ? { name: target.name } : {}),
    });
    const format: ReadFormat = { accept: req.headers.accept, includeObject: url.searchParams.get('includeObject') };
    const write: WriteRequest = { query: url.searchParams, userAgent: req.headers['user-agent'] };
    const needsNamespace = target.type.namespaced && !target.namespace && verb !== 'list' && verb !== 'watch';
    if (needsNamespace) throw resourceNotFound();
    let response: ApiResponse;
    switch (verb) {
      case 'get':
        response = handleGet(ctx, target, format);
        break;
      case 'list':
        response = handleList(ctx, target, url.searchParams, format);
        break;
      case 'watch': {
        const end = serveWatch(ctx, target, url.searchParams, format, res, deps.watch);
        // A watch is recorded when it starts (it may never finish), so tests can wait for it.
        recorded = true;
        deps.record({ ...record, status: res.statusCode });
        deps.watches.add(end);
        res.once('close', () => deps.watches.delete(end));
        return;
      }
      case 'create':
        if (target.name !== undefined) throw methodNotAllowed();
        response = handleCreate(ctx, target, parseWriteBody(body, req.headers['content-type']), write);
        break;
      case 'update':
        response = handleUpdate(ctx, target, parseWriteBody(body, req.headers['content-type']), write);
        break;
      case 'patch':
        response = handlePatch(ctx, target, req.headers['content-type'], body.toString('utf8'), write);
        break;
      case 'delete':
        response = handleDelete(ctx, target, body.length > 0 ? parseWriteBody(body, req.headers['content-type']) : undefined, write);
        break;
      default:
        response = handleDeleteCollection(ctx, target, selectorOf(target.type, url.searchParams));
    }
    send(res, response.status, response.body, response.headers);
  } catch (error) {
    if (error instanceof KubeStatusError) return send(res, error.status.code ?? 500, error.status, error.headers);
    ctx.onError(error);
    const internal = new KubeStatusError(500, 'InternalError', `Internal error occurred: ${(error as Error).message}`, { causes: [{ message: (error as Error).message }] });
    send(res, 500, internal.status);
  }
}
