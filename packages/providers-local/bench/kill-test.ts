// One kill run: an open-loop client at a fixed rate over keep-alive connections,
// and a SIGKILL of the primary part-way through. Bounded in count and time.
import { Agent, request } from 'undici';

/** Settings of one kill run. */
export interface KillTestOptions {
  /** Base URL of the proxy under test. */
  url: string;
  /** The region that serves before the kill. */
  primary: string;
  /** Requests per second. */
  ratePerSecond: number;
  /** How long requests are sent. */
  durationMillis: number;
  /** When the kill happens, from the first request. */
  killAtMillis: number;
  /** Kills the primary (SIGKILL). */
  kill(): Promise<void>;
  /** Each request gives up after this. */
  requestTimeoutMillis: number;
}

/** What one kill run saw. */
export interface KillRun {
  /** Requests sent. */
  total: number;
  /** Status >= 500 or a thrown error. */
  failed: number;
  /** Of the failed: thrown errors (connection reset, timeout ...). */
  errors: number;
  /** Kill → first response served by another region that was not retried; null when none came. */
  movedMillis: number | null;
  /**
   * Kill → first response served by another region, retried or not: what a user
   * waits for. HAProxy's retries cannot be seen, so for it this equals `movedMillis`.
   */
  firstElsewhereMillis: number | null;
  /** Kill → answer of the last failed request; 0 when none failed after the kill. */
  failureWindowMillis: number;
  /** Thrown errors by code (or message). */
  errorCodes: Record<string, number>;
  /** Responses (< 500) by the region that served them. */
  servedBy: Record<string, number>;
  /** Responses that said they took more than one attempt (`x-meridian-attempts`). */
  retried: number;
}

/** Runs the client, kills the primary at `killAtMillis`, waits for every request to settle. */
export async function runKillTest(options: KillTestOptions): Promise<KillRun> {
  const agent = new Agent({ connections: 32, keepAliveTimeout: 10_000 });
  const run: KillRun = { total: 0, failed: 0, errors: 0, movedMillis: null, firstElsewhereMillis: null, failureWindowMillis: 0, errorCodes: {}, servedBy: {}, retried: 0 };
  const count = Math.round((options.ratePerSecond * options.durationMillis) / 1000);
  const gapMillis = 1000 / options.ratePerSecond;
  let killedAt: number | undefined;
  let killing: Promise<void> | undefined;
  const inFlight: Array<Promise<void>> = [];

  const failedAt = (at: number): void => {
    run.failed++;
    if (killedAt !== undefined && at > killedAt) run.failureWindowMillis = Math.max(run.failureWindowMillis, at - killedAt);
  };
  const send = async (): Promise<void> => {
    run.total++;
    try {
      const res = await request(`${options.url}/`, { dispatcher: agent, signal: AbortSignal.timeout(options.requestTimeoutMillis) });
      await res.body.dump();
      const at = performance.now();
      if (res.statusCode >= 500) return failedAt(at);
      const region = String(res.headers['x-meridian-region'] ?? 'unknown');
      run.servedBy[region] = (run.servedBy[region] ?? 0) + 1;
      // A missing header counts as one attempt (HAProxy's retries cannot be seen).
      const attempts = Number(res.headers['x-meridian-attempts'] ?? '1');
      if (attempts > 1) run.retried++;
      if (killedAt !== undefined && at > killedAt && region !== options.primary) {
        const elsewhere = at - killedAt;
        if (run.firstElsewhereMillis === null || elsewhere < run.firstElsewhereMillis) run.firstElsewhereMillis = elsewhere;
      }
      if (killedAt !== undefined && at > killedAt && region !== options.primary && attempts <= 1) {
        const moved = at - killedAt;
        if (run.movedMillis === null || moved < run.movedMillis) run.movedMillis = moved;
      }
    } catch (error) {
      const code = (error as { code?: string }).code ?? (error as Error).message;
      run.errorCodes[code] = (run.errorCodes[code] ?? 0) + 1;
      run.errors++;
      failedAt(performance.now());
    }
  };

  const start = performance.now();
  try {
    for (let i = 0; i < count; ) {
      const now = performance.now() - start;
      if (killing === undefined && now >= options.killAtMillis) {
        killedAt = performance.now();
        killing = options.kill();
      }
      // Send whatever is due, so timer lateness does not lower the rate.
      while (i < count && i * gapMillis <= now) {
        inFlight.push(send());
        i++;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.min(gapMillis, (i * gapMillis) - (performance.now() - start)))));
    }
    await Promise.all(inFlight);
    await killing;
  } finally {
    await agent.close();
  }
  if (run.movedMillis !== null) run.movedMillis = Math.round(run.movedMillis);
  if (run.firstElsewhereMillis !== null) run.firstElsewhereMillis = Math.round(run.firstElsewhereMillis);
  run.failureWindowMillis = Math.round(run.failureWindowMillis);
  return run;
}
