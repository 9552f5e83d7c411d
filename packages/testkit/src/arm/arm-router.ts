import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ArmContext } from './arm-context.js';
import { ArmError } from './arm-error.js';
import { getSubscription, handleGroup, listLocations } from './group-handlers.js';
import { handleOperationResult, handleOperationStatus } from './operation-handlers.js';
import { listSkus } from './sku-handlers.js';
import { handleAction, handleDelete, handleGet, handlePatch, handlePut, type ArmReply, type ResourceTarget } from './resource-handlers.js';
import { instanceDiscovery, openIdConfiguration, type TokenService } from './token-service.js';

/** One served request, for tests that check what a client did (retries, polling). */
export interface ArmRequestRecord {
  method: string;
  /** Path without the query. */
  path: string;
  status: number;
  /** `token` (Entra ID endpoints), `operation` (LRO polling) or `arm`. */
  area: 'token' | 'operation' | 'arm';
  /** The resource type the request addressed, if any (`Microsoft.Compute/virtualMachines`). */
  resourceType?: string;
  apiVersion?: string;
  userAgent?: string;
}

/** What the router needs from the server. */
export interface ArmRouterDeps {
  ctx: ArmContext;
  tokens: TokenService;
  record: (entry: ArmRequestRecord) => void;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => (size > MAX_BODY_BYTES ? reject(new ArmError(413, 'RequestEntityTooLarge', 'The request content was too large.')) : resolve(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, reply: ArmReply): void {
  if (res.headersSent || res.destroyed) return;
  const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'x-ms-request-id': randomUUID(),
    'x-ms-correlation-request-id': randomUUID(),
    'Cache-Control': 'no-cache',
    ...(reply.body === undefined ? {} : { 'Content-Type': 'application/json; charset=utf-8' }),
    ...reply.headers,
  });
  res.end(text);
}

/** The resource type a path addresses, for throttling rules and the request log. */
function resourceTypeOf(segments: string[]): string | undefined {
  const p = segments.findIndex((s) => s.toLowerCase() === 'providers');
  if (p < 0) return segments[2]?.toLowerCase() === 'resourcegroups' ? 'Microsoft.Resources/resourceGroups' : undefined;
  const parts = [segments[p + 1], segments[p + 2]];
  if (segments.length >= p + 6) parts.push(segments[p + 4]);
  return parts.filter(Boolean).join('/');
}

async function serveToken(deps: ArmRouterDeps, req: IncomingMessage, segments: string[], url: URL): Promise<ArmReply | undefined> {
  const base = deps.ctx.baseUrl();
  const [tenant, a, b, c] = segments;
  if (tenant?.toLowerCase() === 'common' && a === 'discovery' && b === 'instance') {
    const authority = new URL(url.searchParams.get('authorization_endpoint') ?? `${base}/${deps.tokens.principal.tenantId}/oauth2/v2.0/authorize`);
    return { status: 200, body: instanceDiscovery(base, authority.pathname.split('/')[1] ?? deps.tokens.principal.tenantId) };
  }
  if (!tenant || tenant.toLowerCase() === 'subscriptions' || tenant.toLowerCase() === 'providers') return undefined;
  if (a === 'v2.0' && b === '.well-known' && c === 'openid-configuration' && req.method === 'GET') {
    if (tenant !== 'common' && tenant !== 'organizations' && tenant.toLowerCase() !== deps.tokens.principal.tenantId.toLowerCase()) {
      return { status: 400, body: { error: 'invalid_tenant', error_description: `AADSTS90002: Tenant '${tenant}' not found.`, error_codes: [90002] } };
    }
    return { status: 200, body: openIdConfiguration(base, tenant) };
  }
  if (a === 'oauth2' && b === 'v2.0' && c === 'token' && req.method === 'POST') {
    const result = deps.tokens.exchange(tenant, new URLSearchParams(await readBody(req)), `${base}/${tenant}/v2.0`);
    return result;
  }
  if (a === 'discovery' && b === 'v2.0' && c === 'keys') return { status: 200, body: { keys: [] } };
  return undefined;
}

function authenticate(deps: ArmRouterDeps, req: IncomingMessage): void {
  const header = req.headers.authorization;
  const challenge = { 'WWW-Authenticate': `Bearer authorization_uri="${deps.ctx.baseUrl()}/${deps.tokens.principal.tenantId}", error="invalid_token", error_description="The authentication failed because of missing 'Authorization' header."` };
  if (!header) throw new ArmError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.", { headers: challenge });
  const match = /^Bearer\s+(.+)$/i.exec(header);
  if (!match) throw new ArmError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is provided in an invalid format.", { headers: challenge });
  if (!deps.tokens.verify(match[1]!)) throw new ArmError(401, 'InvalidAuthenticationToken', 'The access token is invalid.', { headers: challenge });
}

async function serveArm(deps: ArmRouterDeps, req: IncomingMessage, segments: string[], url: URL, area: { value: ArmRequestRecord['area'] }): Promise<ArmReply> {
  const { ctx } = deps;
  const method = req.method ?? 'GET';
  authenticate(deps, req);
  const apiVersion = url.searchParams.get('api-version');
  if (!apiVersion) throw new ArmError(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests.");
  const throttled = ctx.faults.takeThrottle(method, resourceTypeOf(segments));
  if (throttled) throw throttled;
  const sub = segments[1]!;
  if (!GUID.test(sub)) throw new ArmError(400, 'InvalidSubscriptionId', `The provided subscription identifier '${sub}' is malformed or invalid.`);
  if (sub.toLowerCase() !== ctx.subscriptionId.toLowerCase()) throw new ArmError(404, 'SubscriptionNotFound', `The subscription '${sub}' could not be found.`);
  const rest = segments.slice(2);
  const lower = rest.map((s) => s.toLowerCase());
  const body = method === 'PUT' || method === 'POST' || method === 'PATCH' ? await readBody(req) : '';
  let parsed: Record<string, unknown> = {};
  if (body) {
    try {
      parsed = JSON.parse(body) as Record<string, unknown>;
    } catch {
      throw new ArmError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.');
    }
  }
  ctx.operations.settle();
  if (rest.length === 0) return getSubscription(ctx);
  if (lower[0] === 'locations' && rest.length === 1) return listLocations(ctx);
  if (lower[0] === 'providers' && lower[1] === 'microsoft.compute' && lower[2] === 'skus' && rest.length === 3 && method === 'GET') return listSkus(ctx, url.searchParams.get('$filter'));
  if (lower[0] === 'operationresults' && rest.length === 2) {
    area.value = 'operation';
    return handleOperationResult(ctx, rest[1]!, url.toString(), true);
  }
  if (lower[0] === 'providers' && lower[2] === 'locations' && (lower[4] === 'operations' || lower[4] === 'operationresults') && rest.length === 6) {
    area.value = 'operation';
    return lower[4] === 'operations' ? handleOperationStatus(ctx, rest[5]!) : handleOperationResult(ctx, rest[5]!, url.toString(), false);
  }
  if (lower[0] !== 'resourcegroups') throw new ArmError(404, 'NotFound', `No route for ${url.pathname}.`);
  if (rest.length <= 2) return handleGroup(ctx, method, rest[1], parsed, apiVersion);
  if (lower[2] !== 'providers' || rest.length < 5) throw new ArmError(404, 'NotFound', `No route for ${url.pathname}.`);
  const [, group, , namespace, typeName, name, x, y, z] = rest;
  const target: ResourceTarget = { group: group!, namespace: namespace!, typeName: typeName!, name };
  if (y !== undefined) Object.assign(target, { childType: x, childName: y, action: z });
  else if (x !== undefined) target.action = x;
  switch (method) {
    case 'PUT':
      return handlePut(ctx, target, parsed, apiVersion);
    case 'GET':
      return handleGet(ctx, target, url.searchParams.get('$expand') ?? undefined);
    case 'PATCH':
      return handlePatch(ctx, target, parsed, apiVersion);
    case 'DELETE':
      return handleDelete(ctx, target, apiVersion);
    case 'POST':
      if (target.action) return handleAction(ctx, target, apiVersion);
      break;
  }
  throw new ArmError(405, 'MethodNotAllowed', `The requested method ${method} is not allowed on ${url.pathname}.`);
}

/** Serves one request: Entra ID endpoints, then ARM (auth, api-version, throttling, subscription, routes). */
export async function routeArm(deps: ArmRouterDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', deps.ctx.baseUrl());
  const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const method = req.method ?? 'GET';
  const area = { value: 'arm' as ArmRequestRecord['area'] };
  let reply: ArmReply;
  try {
    const token = segments[0]?.toLowerCase() === 'subscriptions' ? undefined : await serveToken(deps, req, segments, url);
    if (token) area.value = 'token';
    reply = token ?? (segments[0]?.toLowerCase() === 'subscriptions' ? await serveArm(deps, req, segments, url, area) : { status: 404, body: new ArmError(404, 'NotFound', `No route for ${url.pathname}.`).body() });
  } catch (error) {
    const armError = error instanceof ArmError ? error : new ArmError(500, 'InternalServerError', `The fake ARM failed: ${(error as Error).message}`);
    reply = { status: armError.status, body: method === 'HEAD' ? undefined : armError.body(), headers: armError.extra.headers };
  }
  deps.record({
    method, path: url.pathname, status: reply.status, area: area.value,
    resourceType: area.value === 'arm' ? resourceTypeOf(segments) : undefined,
    apiVersion: url.searchParams.get('api-version') ?? undefined,
    userAgent: req.headers['user-agent'],
  });
  send(res, reply);
}
