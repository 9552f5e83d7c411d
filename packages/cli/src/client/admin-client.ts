import { request } from 'undici';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import type { AgentTarget } from './find-agent.js';

/** One NDJSON event of an operation's progress. */
export type AgentEvent = Record<string, unknown> & { type: string };

interface ErrorBody {
  error?: { code?: string; message?: string };
}

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT']);

/** The exit code an HTTP status maps to. */
export function exitCodeOf(status: number): ExitCode {
  if (status === 401 || status === 403) return EXIT.UNAUTHORIZED;
  if (status === 404) return EXIT.NOT_FOUND;
  if (status === 501) return EXIT.UNSUPPORTED;
  if (status === 400 || status === 405 || status === 413) return EXIT.USAGE;
  return EXIT.FAILED;
}

/** Talks to the agent's admin API with the bearer token; every failure becomes a CliError with its exit code. */
export class AdminClient {
  constructor(readonly target: AgentTarget) {}

  /** `GET path` → its JSON. */
  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  /**
   * Sends a request. A JSON answer is returned as is; an NDJSON answer (a
   * running operation) feeds each event to `onEvent` and returns the final
   * `result`, or throws its `error`.
   */
  async call<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown, onEvent?: (event: AgentEvent) => void, options: { signal?: AbortSignal } = {}): Promise<T> {
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(`${this.target.url}${path}`, {
        method,
        ...(options.signal ? { signal: options.signal } : {}),
        headers: { authorization: `Bearer ${this.target.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        headersTimeout: 120_000,
        bodyTimeout: 0, // a drill may hold for minutes between two progress lines
      });
    } catch (error) {
      if (options.signal?.aborted) throw stoppedFollowing(error);
      throw unreachable(this.target.url, error);
    }
    const type = String(res.headers['content-type'] ?? '');
    if (res.statusCode >= 300) {
      const text = await res.body.text();
      let parsed: ErrorBody = {};
      try {
        parsed = JSON.parse(text) as ErrorBody;
      } catch {
        // not JSON: reported by status below
      }
      const message = parsed.error?.message ?? `the agent answered ${res.statusCode} to ${method} ${path}`;
      throw new CliError(message, exitCodeOf(res.statusCode), { code: parsed.error?.code ?? `HTTP_${res.statusCode}` });
    }
    if (!type.includes('application/x-ndjson')) return (await res.body.json()) as T;
    let buffer = '';
    let final: AgentEvent | undefined;
    try {
      for await (const chunk of res.body) {
        buffer += (chunk as Buffer).toString('utf8');
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          if (!line) continue;
          const event = JSON.parse(line) as AgentEvent;
          if (event.type === 'result' || event.type === 'error') final = event;
          else onEvent?.(event);
        }
      }
    } catch (error) {
      if (options.signal?.aborted) throw stoppedFollowing(error);
      throw new CliError(`lost the agent while ${method} ${path} was running: ${(error as Error).message}; the operation may still be running (see meridian status)`, EXIT.UNREACHABLE, { cause: error });
    }
    if (!final) throw new CliError(`the agent ended ${method} ${path} without a result; see meridian status`, EXIT.FAILED);
    if (final.type === 'error') {
      const e = (final as ErrorBody & { status?: number }).error;
      // Cancelled on the agent (by this client's Ctrl-C, or `meridian cancel` from anywhere): exit 6, whatever the status.
      const exit = e?.code === 'CANCELLED' ? EXIT.CANCELLED : exitCodeOf(Number((final as { status?: number }).status ?? 500));
      throw new CliError(e?.message ?? 'operation failed', exit, { code: e?.code ?? 'FAILED' });
    }
    return final['result'] as T;
  }
}

/** Thrown when the caller's signal stopped a call: the client stopped following, the agent was not told anything. */
export const STOPPED_FOLLOWING = 'STOPPED_FOLLOWING';

function stoppedFollowing(error: unknown): CliError {
  return new CliError('stopped following the operation', EXIT.OK, { code: STOPPED_FOLLOWING, cause: error });
}

function unreachable(url: string, error: unknown): CliError {
  const e = error as { code?: string; cause?: { code?: string }; message?: string };
  const code = e.code ?? e.cause?.code;
  const why = code && CONNECT_ERRORS.has(code) ? code : (e.message ?? String(error));
  return new CliError(`cannot reach the agent at ${url}: ${why} (is \`meridian agent\` running in this directory?)`, EXIT.UNREACHABLE, { cause: error });
}
