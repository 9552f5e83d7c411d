/**
 * Why an attempt got no response: decides whether it may be retried.
 * - `connect`: the connection was never made (refused, unreachable, connect
 *   timeout): no byte of the request left, so any method may be retried.
 * - `reset`: the connection broke after the request may have been written.
 * - `timeout`: no response headers within the per-try timeout.
 * - `protocol`: the region answered something that is not HTTP.
 * - `aborted`: the client gave up; not the region's fault.
 */
export type FailureKind = 'connect' | 'reset' | 'timeout' | 'protocol' | 'aborted';

const CONNECT = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TIMEOUT = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/** Classifies an error thrown by an attempt (undici's or the system's codes, also on `cause`). */
export function failureKind(error: unknown, clientAborted: boolean): FailureKind {
  if (clientAborted) return 'aborted';
  // undici's parser error carries no code for an answer that is not HTTP at all.
  if ((error as { name?: unknown } | null)?.name === 'HTTPParserError') return 'protocol';
  const code = errorCode(error);
  if (code !== undefined) {
    if (CONNECT.has(code)) return 'connect';
    if (TIMEOUT.has(code)) return 'timeout';
    // llhttp parse errors (HPE_*) and undici's info error for a malformed reply.
    if (code.startsWith('HPE_') || code === 'UND_ERR_INFO' || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') return 'protocol';
  }
  return 'reset';
}

/** The first `code` on the error or its causes, e.g. `ECONNREFUSED`. */
export function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** RFC 9110 §9.2.2 idempotent methods: repeating them has the effect of sending them once. */
export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method.toUpperCase());
}
