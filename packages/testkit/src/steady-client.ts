import { Agent, request } from 'undici';

/** One request a steady client sent, and what it saw. */
export interface SteadyRequestRecord {
  /** Order sent, from 0. */
  seq: number;
  method: string;
  path: string;
  /** When sent and when answered (or failed), epoch ms. */
  sentAt: number;
  doneAt: number;
  /** Status, when an answer came. */
  status?: number;
  /** Error code or message, when none came. */
  error?: string;
  /** `x-meridian-region` of the answer. */
  region?: string;
  /** `x-meridian-attempts` of the answer (1 when absent). */
  attempts: number;
  /** What a user saw: an answer below 500. */
  ok: boolean;
  /** Cut short by the client's `signal`: neither served nor failed. */
  cancelled?: boolean;
}

/** A request the client sends: method, path and body chosen per sequence number. */
export interface SteadyRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** Options of {@link startSteadyClient}. */
export interface SteadyClientOptions {
  /** Base URL (a front door, a proxy, a region). */
  url: string;
  /** Requests started per second, whatever the answers take (open loop, as real users are). */
  ratePerSecond: number;
  /** Hard bound: never more than this many requests. */
  maxRequests: number;
  /** A request unanswered this long counts as failed. Default 5000. */
  timeoutMillis?: number;
  /** What to send as request `seq`. Default `GET /kv/steady`. */
  next?: (seq: number) => SteadyRequest;
  /** Keep-alive connections. Default 32. */
  connections?: number;
  /** Stops sending and cuts the requests in flight short (they are marked `cancelled`, not failed). */
  signal?: AbortSignal;
}

/** A running steady client. */
export interface SteadyClient {
  /** Every request so far (answered or not yet: `doneAt` is 0 until it ends). */
  readonly records: readonly SteadyRequestRecord[];
  /** Stops sending, waits for the requests in flight, closes its connections, and returns every record. */
  stop(): Promise<SteadyRequestRecord[]>;
  /** Resolves when `maxRequests` were sent and answered. */
  readonly finished: Promise<SteadyRequestRecord[]>;
}

/**
 * A bounded open-loop HTTP client with keep-alive: sends `ratePerSecond`
 * requests a second (catching up after a stall, never bursting past the
 * schedule), records what each one saw, and stops by itself after `maxRequests`.
 */
export function startSteadyClient(options: SteadyClientOptions): SteadyClient {
  const agent = new Agent({ connections: options.connections ?? 32, keepAliveTimeout: 10_000 });
  const records: SteadyRequestRecord[] = [];
  const inFlight = new Set<Promise<void>>();
  const next: (seq: number) => SteadyRequest = options.next ?? (() => ({ method: 'GET', path: '/kv/steady' }));
  const gap = 1000 / options.ratePerSecond;
  const start = Date.now();
  let running = true;
  let timer: NodeJS.Timeout | undefined;
  let resolveFinished!: (records: SteadyRequestRecord[]) => void;
  const finished = new Promise<SteadyRequestRecord[]>((r) => (resolveFinished = r));

  const cancel = new AbortController();
  const send = (seq: number): void => {
    const { method, path, headers, body } = next(seq);
    const record: SteadyRequestRecord = { seq, method, path, sentAt: Date.now(), doneAt: 0, attempts: 1, ok: false };
    records.push(record);
    // A timer of our own rather than AbortSignal.any([..., AbortSignal.timeout()]): on Node 20 a
    // timeout signal only the combined one refers to can be collected and never fire.
    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(Object.assign(new Error('request timed out'), { name: 'TimeoutError' })), options.timeoutMillis ?? 5_000);
    const onCancel = (): void => controller.abort(cancel.signal.reason);
    cancel.signal.addEventListener('abort', onCancel, { once: true });
    const done = (async () => {
      try {
        const res = await request(`${options.url}${path}`, {
          method: method as 'GET',
          ...(headers !== undefined ? { headers } : {}),
          ...(body !== undefined ? { body } : {}),
          dispatcher: agent,
          signal: controller.signal,
        });
        // Read the whole body: the signal bounds it too.
        await res.body.arrayBuffer();
        record.status = res.statusCode;
        const region = res.headers['x-meridian-region'];
        if (typeof region === 'string') record.region = region;
        record.attempts = Number(res.headers['x-meridian-attempts'] ?? 1) || 1;
        record.ok = res.statusCode < 500;
      } catch (error) {
        if (cancel.signal.aborted) record.cancelled = true;
        const reason = controller.signal.aborted ? controller.signal.reason : error;
        const e = reason as { name?: string; code?: unknown; cause?: { code?: unknown } };
        record.error = e?.name === 'TimeoutError' ? 'timeout' : typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : (e?.name ?? String(reason));
      }
      clearTimeout(timeout);
      cancel.signal.removeEventListener('abort', onCancel);
      record.doneAt = Date.now();
    })();
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  };

  const tick = (): void => {
    timer = undefined;
    if (!running) return;
    // Send everything the schedule says is due by now, so a stalled event loop catches up.
    const due = Math.min(options.maxRequests, Math.floor((Date.now() - start) / gap) + 1);
    while (records.length < due) send(records.length);
    if (records.length >= options.maxRequests) {
      running = false;
      void Promise.all(inFlight).then(async () => {
        await agent.close().catch(() => undefined);
        resolveFinished(records);
      });
      return;
    }
    timer = setTimeout(tick, Math.max(0, start + records.length * gap - Date.now()));
    timer.unref();
  };
  tick();

  let stopped: Promise<SteadyRequestRecord[]> | undefined;
  const stop = (): Promise<SteadyRequestRecord[]> =>
    (stopped ??= (async () => {
      running = false;
      if (timer) clearTimeout(timer);
      while (inFlight.size > 0) await Promise.all(inFlight);
      options.signal?.removeEventListener('abort', onAbort);
      await agent.close().catch(() => undefined);
      resolveFinished(records);
      return records;
    })());
  const onAbort = (): void => {
    cancel.abort(options.signal?.reason);
    void stop();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  return { records, finished, stop };
}
