import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { MeridianError } from '@meridian/core';
import { throwIfAborted } from '@meridian/core/spi';
import { request, type Dispatcher } from 'undici';

/**
 * Wire protocol version spoken with a region's `/replica` API. 2 carries
 * anti-entropy tree version 2 (`MERKLE_TREE_VERSION`); a region of another
 * version is refused with `SYNC_PROTOCOL_ERROR`.
 */
export const REPLICA_PROTOCOL = 2;
/** @internal Request header carrying {@link REPLICA_PROTOCOL}. */
export const PROTOCOL_HEADER = 'x-meridian-replica-protocol';
/** Largest request body a region accepts (after decompression): 16 MiB. */
export const MAX_REPLICA_BODY_BYTES = 16 * 1024 * 1024;
/** @internal Bodies larger than this are sent gzip-compressed. */
export const GZIP_ABOVE_BYTES = 1024;

const gzipAsync = promisify(gzip);

/** @internal Where and how one store sends its requests. */
export interface ReplicaTarget {
  /** `region "us-east"` or `region at http://...`: how messages name the region. */
  readonly label: string;
  /** The region's base URL now, or undefined when it is not deployed. */
  endpoint(): string | undefined;
  readonly dispatcher: Dispatcher;
  readonly timeoutMillis: number;
}

/** @internal One call of the replica API. */
export interface ReplicaCall {
  /** Operation name, for messages (`getMany`, `apply` ...). */
  what: string;
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  signal?: AbortSignal | undefined;
}

const unavailable = (target: ReplicaTarget, what: string, detail: string, cause?: unknown) =>
  new MeridianError('STORE_UNAVAILABLE', `LocalReplicaStore.${what}: ${target.label} is unavailable: ${detail}`, { cause, details: { target: target.label } });

/** @internal A reply that breaks the protocol: `SYNC_PROTOCOL_ERROR` naming the region and the call. */
export function protocolError(target: ReplicaTarget, what: string, detail: string, cause?: unknown): MeridianError {
  return new MeridianError('SYNC_PROTOCOL_ERROR', `LocalReplicaStore.${what}: ${target.label} broke replica protocol ${REPLICA_PROTOCOL}: ${detail}`, {
    cause,
    details: { target: target.label },
  });
}

async function encodeBody(call: ReplicaCall): Promise<{ body?: Buffer; headers: Record<string, string> }> {
  const headers: Record<string, string> = { [PROTOCOL_HEADER]: String(REPLICA_PROTOCOL) };
  if (call.body === undefined) return { headers };
  let text: string;
  try {
    text = JSON.stringify(call.body);
  } catch (cause) {
    throw new MeridianError('INVALID_ARGUMENT', `LocalReplicaStore.${call.what}: a value is not JSON-serializable: ${(cause as Error).message}`, { cause });
  }
  let body = Buffer.from(text, 'utf8');
  if (body.length > MAX_REPLICA_BODY_BYTES) {
    throw new MeridianError(
      'INVALID_ARGUMENT',
      `LocalReplicaStore.${call.what}: the request is ${body.length} bytes, over a region's limit of ${MAX_REPLICA_BODY_BYTES}; split the batch`,
    );
  }
  headers['content-type'] = 'application/json';
  if (body.length > GZIP_ABOVE_BYTES) {
    body = await gzipAsync(body);
    headers['content-encoding'] = 'gzip';
  }
  return { body, headers };
}

/**
 * Sends one call and returns the JSON reply of a 200, after the checks every
 * reply gets: any failure to get an answer is `STORE_UNAVAILABLE` (so is a 5xx),
 * a caller's abort is `ABORTED`, a 400 or 413 is `INVALID_ARGUMENT` with the
 * region's message, and anything not JSON with `protocol: 2` is `SYNC_PROTOCOL_ERROR`.
 * @internal
 */
export async function callReplica(target: ReplicaTarget, call: ReplicaCall): Promise<Record<string, unknown>> {
  const where = `LocalReplicaStore.${call.what}`;
  throwIfAborted(call.signal, where);
  const { body, headers } = await encodeBody(call);
  throwIfAborted(call.signal, where);
  const endpoint = target.endpoint();
  if (endpoint === undefined) throw unavailable(target, call.what, 'the region is not deployed');

  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new Error(`no answer within ${target.timeoutMillis} ms`)), target.timeoutMillis);
  timer.unref();
  const signal = call.signal ? AbortSignal.any([call.signal, timeout.signal]) : timeout.signal;
  let status: number;
  let text: string;
  try {
    const res = await request(`${endpoint}${call.path}`, { method: call.method, headers, body, signal, dispatcher: target.dispatcher });
    status = res.statusCode;
    text = await res.body.text();
  } catch (error) {
    throwIfAborted(call.signal, where);
    if (timeout.signal.aborted) throw unavailable(target, call.what, `no answer within ${target.timeoutMillis} ms (timeoutMillis)`, error);
    const code = (error as { code?: string }).code;
    // undici's HTTP parser failed: something answered, but not in HTTP.
    if ((error as Error).name === 'HTTPParserError' || code?.startsWith('HPE_')) {
      throw protocolError(target, call.what, `the reply is not HTTP (${(error as Error).message})`, error);
    }
    throw unavailable(target, call.what, code ?? (error as Error).message, error);
  } finally {
    clearTimeout(timer);
  }
  return checkReply(target, call.what, status, text);
}

function checkReply(target: ReplicaTarget, what: string, status: number, text: string): Record<string, unknown> {
  if (status >= 500) throw unavailable(target, what, `it answered status ${status}${text ? `: ${text.slice(0, 200)}` : ''}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw protocolError(target, what, `status ${status} with a body that is not JSON: ${JSON.stringify(text.slice(0, 80))}`, cause);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw protocolError(target, what, `status ${status} with a body that is not a JSON object`);
  const reply = json as Record<string, unknown>;
  if (reply.protocol !== REPLICA_PROTOCOL) {
    throw protocolError(
      target,
      what,
      reply.protocol === undefined ? `status ${status} without a protocol version` : `it speaks protocol ${JSON.stringify(reply.protocol)}`,
    );
  }
  if (status === 400 || status === 413) {
    const message = typeof reply.error === 'string' ? reply.error : `status ${status}`;
    throw new MeridianError('INVALID_ARGUMENT', `LocalReplicaStore.${what}: ${target.label} refused the request: ${message}`, { details: { target: target.label, status } });
  }
  if (status !== 200) throw protocolError(target, what, `unexpected status ${status}${typeof reply.error === 'string' ? ` (${reply.error})` : ''}`);
  return reply;
}
