import { internalError, KubeStatusError, serviceUnavailable, tooManyRequests } from './status.js';

/** How the next requests fail. */
export interface FaultSpec {
  /** 429 Too Many Requests (with Retry-After), 500 InternalError, 503 ServiceUnavailable, 504 Timeout. */
  status: 429 | 500 | 503 | 504;
  /** `Retry-After` header and `details.retryAfterSeconds` (429 defaults to 1; 503 sends it only if given). */
  retryAfterSeconds?: number;
  /** The error message (a default per status otherwise). */
  message?: string;
  /** Only requests with these verbs fail (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`); default all. */
  verbs?: string[];
  /** Only requests for these plural resources fail (`deployments`); default all, discovery included. */
  resources?: string[];
}

interface Pending {
  remaining: number;
  spec: FaultSpec;
}

/** Scripted failures and latency, consulted before every request is served. */
export class FaultInjector {
  private readonly pending: Pending[] = [];
  latencyMillis = 0;

  failNext(count: number, spec: FaultSpec): void {
    if (count > 0) this.pending.push({ remaining: count, spec });
  }

  clear(): void {
    this.pending.length = 0;
  }

  /** The error for this request, if one is due (consumes one failure). */
  take(verb: string, resource: string | undefined): KubeStatusError | undefined {
    const due = this.pending.find(
      (p) => (!p.spec.verbs || p.spec.verbs.includes(verb)) && (!p.spec.resources || (resource !== undefined && p.spec.resources.includes(resource))),
    );
    if (!due) return undefined;
    if (--due.remaining <= 0) this.pending.splice(this.pending.indexOf(due), 1);
    const { status, retryAfterSeconds, message } = due.spec;
    switch (status) {
      case 429: {
        const error = tooManyRequests(retryAfterSeconds ?? 1);
        if (message) error.status.message = message;
        return error;
      }
      case 500:
        return internalError(message ?? 'injected fault');
      case 503:
        return serviceUnavailable(message ?? 'the server is currently unable to handle the request', retryAfterSeconds);
      case 504:
        return new KubeStatusError(504, 'Timeout', message ?? 'the server was unable to return a response in the time allotted, but may still be processing the request', {});
    }
  }
}
