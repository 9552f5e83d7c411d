import { request } from 'node:https';
import type { FakeKubeApiServer } from '../src/index.js';

/** A raw HTTP answer from the fake. */
export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

/** Options of one raw request. */
export interface CallOptions {
  body?: unknown;
  contentType?: string;
  /** Bearer token; `null` sends none. Default: the admin token. */
  token?: string | null;
  accept?: string;
}

/** One HTTPS request to the fake with its CA (no client library in between), bounded to 5 s. */
export function call(server: FakeKubeApiServer, method: string, path: string, options: CallOptions = {}): Promise<RawResponse> {
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const token = options.token === undefined ? server.token : options.token;
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}${path}`,
      {
        method,
        ca: server.caPem,
        timeout: 5000,
        headers: {
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { 'Content-Type': options.contentType ?? 'application/json' } : {}),
          Accept: options.accept ?? 'application/json',
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** A watch event as the fake sends it. */
export interface WatchEvent {
  type: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  object: any;
}

/** An open watch stream: events so far, a bounded wait for one, and close. */
export interface OpenWatch {
  readonly events: WatchEvent[];
  readonly ended: Promise<void>;
  /** The first event after the one the previous `next` returned that matches (bounded wait). */
  next(predicate: (e: WatchEvent) => boolean, timeoutMillis?: number): Promise<WatchEvent>;
  close(): void;
}

/** Opens `path` (with `watch=1` in it) and collects newline-delimited events. */
export function openWatch(server: FakeKubeApiServer, path: string): Promise<OpenWatch> {
  return new Promise((resolve, reject) => {
    const events: WatchEvent[] = [];
    let cursor = 0;
    const waiters = new Set<() => void>();
    let endedResolve!: () => void;
    const ended = new Promise<void>((r) => (endedResolve = r));
    const req = request(`${server.url}${path}`, { ca: server.caPem, headers: { Authorization: `Bearer ${server.token}` } }, (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buffer.slice(0, newline)) as WatchEvent);
          buffer = buffer.slice(newline + 1);
          for (const w of [...waiters]) w();
        }
      });
      const finish = (): void => {
        endedResolve();
        for (const w of [...waiters]) w();
      };
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
      resolve({
        events,
        ended,
        next(predicate, timeoutMillis = 3000) {
          return new Promise((ok, fail) => {
            const check = (): void => {
              const index = events.findIndex((e, i) => i >= cursor && predicate(e));
              if (index >= 0) {
                cursor = index + 1;
                cleanup();
                ok(events[index]!);
              }
            };
            const timer = setTimeout(() => {
              cleanup();
              fail(new Error(`no matching watch event within ${timeoutMillis} ms; got ${JSON.stringify(events.map((e) => e.type))}`));
            }, timeoutMillis);
            const cleanup = (): void => {
              clearTimeout(timer);
              waiters.delete(check);
            };
            waiters.add(check);
            check();
          });
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', (error) => {
      endedResolve();
      reject(error);
    });
    req.end();
  });
}
