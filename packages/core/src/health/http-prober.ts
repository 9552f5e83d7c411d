import { Agent, request } from 'undici';
import type { ProbeOutcome } from './health-types.js';
import type { Prober, ProbeTarget } from './prober.js';

/** An inclusive range of HTTP statuses. */
export interface StatusRange {
  /** Lowest accepted status. */
  min: number;
  /** Highest accepted status. */
  max: number;
}

/** Options of {@link createHttpProber}. */
export interface HttpProberOptions {
  /** Accepted status range, inclusive. Default 200..299. */
  expectedStatus?: StatusRange;
  /** Optional check of the response body (read up to `maxBodyBytes`). */
  bodyPredicate?: (body: string, status: number) => boolean;
  /** Extra request headers (e.g. a Host header for a shared front door). */
  headers?: Record<string, string>;
  /** Body bytes read for `bodyPredicate`; a longer body fails the probe. Default 65536. */
  maxBodyBytes?: number;
  /** Keep-alive connections per origin. Default 4. */
  connections?: number;
}

/**
 * The default prober: `GET` over a keep-alive undici Agent, so a probe costs a
 * request, not a TCP handshake. Connection errors, resets, timeouts, unparseable
 * responses, unexpected statuses and rejected bodies are all failures, returned
 * (never thrown) with a short reason.
 */
export function createHttpProber(options: HttpProberOptions = {}): Prober {
  const expected = options.expectedStatus ?? { min: 200, max: 299 };
  const maxBodyBytes = options.maxBodyBytes ?? 65536;
  let agent: Agent | undefined;

  return {
    async probe(target: ProbeTarget, { signal }): Promise<ProbeOutcome> {
      agent ??= new Agent({ keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000, connections: options.connections ?? 4 });
      try {
        const response = await request(target.url, {
          method: 'GET',
          dispatcher: agent,
          signal,
          headers: { 'user-agent': 'meridian-health/1', ...options.headers },
        });
        const status = response.statusCode;
        if (status < expected.min || status > expected.max) {
          await response.body.dump().catch(() => undefined);
          return { ok: false, status, error: `status ${status} outside ${expected.min}-${expected.max}` };
        }
        if (!options.bodyPredicate) {
          await response.body.dump();
          return { ok: true, status };
        }
        const body = await readLimited(response.body, maxBodyBytes);
        if (body === undefined) return { ok: false, status, error: `body larger than ${maxBodyBytes} bytes` };
        return options.bodyPredicate(body, status)
          ? { ok: true, status }
          : { ok: false, status, error: 'body rejected by predicate' };
      } catch (error) {
        return { ok: false, error: describeError(error, signal) };
      }
    },
    async close(): Promise<void> {
      const current = agent;
      agent = undefined;
      await current?.destroy().catch(() => undefined);
    },
  };
}

async function readLimited(body: AsyncIterable<Buffer> & { destroy(): void }, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeError(error: unknown, signal: AbortSignal): string {
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    return reason instanceof Error ? reason.message : 'aborted';
  }
  if (error instanceof Error) {
    const code = (error as { code?: string }).code;
    const cause = (error as { cause?: { code?: string } }).cause;
    return [code, cause?.code, error.message].filter(Boolean).join(': ');
  }
  return String(error);
}
