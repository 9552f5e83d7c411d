// One kill run: an open-loop client at a fixed rate over keep-alive connections (testkit's steady client),
// and a SIGKILL of the primary part-way through. Bounded in count and time.
import { startSteadyClient, type SteadyRequestRecord } from '@meridian/testkit';

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

/** Runs the client (testkit's steady client), kills the primary at `killAtMillis`, waits for every request to settle. */
export async function runKillTest(options: KillTestOptions): Promise<KillRun> {
  const count = Math.round((options.ratePerSecond * options.durationMillis) / 1000);
  const client = startSteadyClient({ url: options.url, ratePerSecond: options.ratePerSecond, maxRequests: count, timeoutMillis: options.requestTimeoutMillis, next: () => ({ method: 'GET', path: '/' }) });
  let killedAt = 0;
  const killing = new Promise<void>((resolve, reject) => {
    setTimeout(() => {
      killedAt = Date.now();
      options.kill().then(resolve, reject);
    }, options.killAtMillis);
  });
  const records = await client.finished;
  await killing;
  return summarize(records, killedAt, options.primary);
}

function summarize(records: readonly SteadyRequestRecord[], killedAt: number, primary: string): KillRun {
  const run: KillRun = { total: records.length, failed: 0, errors: 0, movedMillis: null, firstElsewhereMillis: null, failureWindowMillis: 0, errorCodes: {}, servedBy: {}, retried: 0 };
  for (const r of records) {
    const after = r.doneAt - killedAt;
    if (!r.ok) {
      run.failed++;
      if (r.status === undefined) {
        const code = r.error ?? 'error';
        run.errorCodes[code] = (run.errorCodes[code] ?? 0) + 1;
        run.errors++;
      }
      if (after > 0) run.failureWindowMillis = Math.max(run.failureWindowMillis, after);
      continue;
    }
    const region = r.region ?? 'unknown';
    run.servedBy[region] = (run.servedBy[region] ?? 0) + 1;
    // A missing x-meridian-attempts counts as one attempt (HAProxy's retries cannot be seen).
    if (r.attempts > 1) run.retried++;
    if (after > 0 && region !== primary) {
      if (run.firstElsewhereMillis === null || after < run.firstElsewhereMillis) run.firstElsewhereMillis = after;
      if (r.attempts <= 1 && (run.movedMillis === null || after < run.movedMillis)) run.movedMillis = after;
    }
  }
  return run;
}
