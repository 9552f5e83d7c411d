import { request as httpsRequest, Agent, type RequestOptions } from 'node:https';
import { MeridianError, sleep, type Clock, type MeridianErrorCode } from '@meridian/core';
import type { ClusterConnection } from './load-kubeconfig.js';
import { statusError, unreachableError, type CallContext, type KubeStatusBody } from './kube-errors.js';
import { parseRetryAfter, retryDelay, type ResolvedRetry } from './retry-policy.js';

/** One API call. */
export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the server, e.g. `/apis/apps/v1/namespaces/shop/deployments/checkout`. */
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** Default `application/json`. */
  contentType?: string;
  /** For messages: `apply Deployment shop/checkout`. */
  what: string;
  verb: string;
  resource: string;
  namespace?: string;
  /** Status codes the caller handles itself (returned, not thrown), e.g. 404 or 409. */
  expect?: number[];
  signal?: AbortSignal | undefined;
}

/** An answer. */
export interface KubeResponse<T = unknown> {
  status: number;
  body: T;
}

/** How a client behaves. */
export interface KubeClientSettings {
  /** `region "eu-west"`, for messages. */
  owner: string;
  regionId?: string;
  clock: Clock;
  random: () => number;
  retry: ResolvedRetry;
  requestTimeoutMillis: number;
  unavailableCode: MeridianErrorCode;
}

const USER_AGENT = 'meridian-providers-k8s';

class HttpAnswer {
  constructor(
    readonly status: number,
    readonly headers: Record<string, string | string[] | undefined>,
    readonly text: string,
  ) {}
}

const aborted = (what: string, signal: AbortSignal): MeridianError => new MeridianError('ABORTED', `${what} was aborted`, { cause: signal.reason });
const retryable = (status: number): boolean => status === 429 || status === 500 || status === 502 || status === 503 || status === 504;

/**
 * Talks to one apiserver with the credentials and CA of a kubeconfig context
 * (as @kubernetes/client-node reads them). Retries 429 (honouring
 * `Retry-After`), 5xx and connection failures with backoff on the injected
 * clock; every other error becomes a coded MeridianError naming the owner.
 */
export class KubeClient {
  readonly connection: ClusterConnection;
  readonly settings: KubeClientSettings;
  #agent: Agent | undefined;

  constructor(connection: ClusterConnection, settings: KubeClientSettings) {
    this.connection = connection;
    this.settings = settings;
  }

  /** Sends `req`, retrying what can be retried; rejects with a coded error otherwise. */
  async request<T = unknown>(req: KubeRequest): Promise<KubeResponse<T>> {
    const { retry, clock, random } = this.settings;
    const ctx = this.#context(req);
    for (let attempt = 1; ; attempt++) {
      if (req.signal?.aborted) throw aborted(req.what, req.signal);
      let answer: HttpAnswer;
      try {
        answer = await this.#send(req);
      } catch (error) {
        if (MeridianError.hasCode(error, 'ABORTED')) throw error;
        if (attempt >= retry.maxAttempts) throw unreachableError(ctx, error, attempt);
        await sleep(clock, retryDelay(retry, attempt, undefined, random), req.signal);
        continue;
      }
      const body = parseBody(answer.text);
      if ((answer.status >= 200 && answer.status < 300) || req.expect?.includes(answer.status)) return { status: answer.status, body: body as T };
      if (retryable(answer.status) && attempt < retry.maxAttempts) {
        const header = answer.headers['retry-after'];
        const after = parseRetryAfter(Array.isArray(header) ? header[0] : header, clock.now()) ?? (body as KubeStatusBody | undefined)?.details?.retryAfterSeconds;
        // Only 429 and 503 carry a meaningful Retry-After; the others back off.
        const honoured = answer.status === 429 || answer.status === 503 ? after : undefined;
        await sleep(clock, retryDelay(retry, attempt, honoured, random), req.signal);
        continue;
      }
      throw statusError(ctx, answer.status, isStatus(body) ? body : { message: answer.text.slice(0, 200) }, attempt);
    }
  }

  /** Frees pooled sockets. */
  close(): void {
    this.#agent?.destroy();
    this.#agent = undefined;
  }

  #context(req: KubeRequest): CallContext {
    return {
      owner: this.settings.owner,
      ...(this.settings.regionId ? { regionId: this.settings.regionId } : {}),
      server: this.connection.server,
      what: req.what,
      verb: req.verb,
      resource: req.resource,
      ...(req.namespace ? { namespace: req.namespace } : {}),
      unavailableCode: this.settings.unavailableCode,
    };
  }

  /** TLS and auth from the kubeconfig (fresh headers per request: exec and OIDC tokens rotate). */
  async #options(): Promise<RequestOptions> {
    const opts: RequestOptions = {};
    await this.connection.kubeConfig.applyToHTTPSOptions(opts);
    if (!this.#agent) {
      this.#agent = new Agent({
        keepAlive: true,
        rejectUnauthorized: true,
        ...(opts.ca ? { ca: opts.ca } : {}),
        ...(opts.cert ? { cert: opts.cert } : {}),
        ...(opts.key ? { key: opts.key } : {}),
        ...(opts.servername ? { servername: opts.servername } : {}),
      });
    }
    (opts.agent as Agent | undefined)?.destroy();
    return { headers: { ...(opts.headers ?? {}) }, agent: this.#agent, ...(opts.auth ? { auth: opts.auth } : {}) };
  }

  async #send(req: KubeRequest): Promise<HttpAnswer> {
    const options = await this.#options();
    const url = new URL(this.connection.server.replace(/\/+$/, '') + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const payload = req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
    const headers: Record<string, string | number> = {
      ...(options.headers as Record<string, string>),
      Accept: 'application/json',
      'User-Agent': USER_AGENT,
      ...(payload !== undefined ? { 'Content-Type': req.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}),
    };
    return new Promise<HttpAnswer>((resolve, reject) => {
      const { clock, requestTimeoutMillis } = this.settings;
      let settled = false;
      const finish = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        timer.cancel();
        req.signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const onAbort = (): void => {
        finish(() => reject(aborted(req.what, req.signal!)));
        outgoing.destroy();
      };
      const outgoing = httpsRequest(url, { method: req.method, headers, agent: options.agent, ...(options.auth ? { auth: options.auth } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => finish(() => resolve(new HttpAnswer(res.statusCode ?? 0, res.headers, Buffer.concat(chunks).toString('utf8')))));
        res.on('error', (error) => finish(() => reject(error)));
      });
      const timer = clock.setTimeout(() => {
        const error = Object.assign(new Error(`no answer within ${requestTimeoutMillis} ms`), { code: 'ETIMEDOUT' });
        finish(() => reject(error));
        outgoing.destroy(error);
      }, requestTimeoutMillis);
      outgoing.on('error', (error) => finish(() => reject(error)));
      req.signal?.addEventListener('abort', onAbort, { once: true });
      if (req.signal?.aborted) onAbort();
      outgoing.end(payload);
    });
  }
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function isStatus(body: unknown): body is KubeStatusBody {
  return typeof body === 'object' && body !== null && (body as KubeStatusBody).kind === 'Status';
}
