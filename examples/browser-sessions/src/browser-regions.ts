import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { MeridianError, type ActivationCallOptions, type AdapterCallOptions, type SessionAdapter, type SessionRef } from '@meridian/core';
import { chromium, type Browser, type BrowserContext, type BrowserServer } from 'playwright-core';

/** Debian's Chromium; never a downloaded browser. Override with CHROMIUM_PATH. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags for headless Chromium in a sandboxed, offline machine. */
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Upper bound of one browser call when the caller's signal never fires. */
const CALL_TIMEOUT_MILLIS = 15_000;

/** Playwright's words for "the browser (or this context) is gone". */
const CLOSED = /Target page, context or browser has been closed|Browser has been closed|browser has disconnected|Target closed|Connection closed/i;

/** Whether Chromium is installed where we expect it. */
export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/** What a browser session's snapshot holds. */
export interface BrowserState {
  /** Cookies and localStorage per origin, as Playwright's storageState gives them. */
  storageState: Awaited<ReturnType<BrowserContext['storageState']>>;
  /** URLs of the open tabs. */
  tabs: string[];
}

interface Live {
  region: string;
  context: BrowserContext;
  tabs: string[];
  suspended: boolean;
  /** The fencing epoch this copy was restored or last activated under. */
  epoch: number;
}

interface Region {
  server: BrowserServer;
  browser: Browser;
  /** Why it is unavailable, once its Chromium is gone (killed, crashed). */
  gone?: string;
  /** Rejects when the region goes: calls in flight fail at once instead of waiting on a dead browser. */
  died: Promise<never>;
  die(why: string): void;
}

/**
 * Each region runs its own Chromium; a session is a browser context in one of
 * them. Suspending blocks every request of the context (the user's tabs stop
 * acting, their state stays); restoring creates a context in the target's
 * browser from the snapshot, blocked until activated, which reopens the tabs.
 *
 * Each Chromium is launched as a server (`launchServer` + `connect`) so its
 * process can be SIGKILLed for real ({@link kill}); from then on every call on
 * that region fails with `REGION_UNAVAILABLE`. Every copy keeps the fencing
 * epoch it was restored or activated under; an activation under a lower one is
 * refused with `SESSION_FENCED`. There is no `version`: a browser has no change
 * counter for its cookies and localStorage, so a checkpointer takes a snapshot
 * each round and compares its SHA-256.
 */
export class BrowserRegions implements SessionAdapter {
  readonly #regions = new Map<string, Region>();
  readonly #sessions = new Map<string, Live>();
  #closing = false;

  /** Launches one headless Chromium per region. */
  static async launch(regions: string[]): Promise<BrowserRegions> {
    if (!chromiumAvailable()) {
      throw new MeridianError('INVALID_CONFIG', `Chromium not found at ${CHROMIUM_PATH}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`);
    }
    const out = new BrowserRegions();
    try {
      for (const region of regions) await out.#launch(region);
    } catch (error) {
      await out.close();
      throw error;
    }
    return out;
  }

  async #launch(id: string): Promise<void> {
    const server = await chromium.launchServer({ executablePath: CHROMIUM_PATH, headless: true, args: FLAGS });
    let browser: Browser;
    try {
      browser = await chromium.connect(server.wsEndpoint());
    } catch (error) {
      await server.close().catch(() => undefined);
      throw error;
    }
    let die!: (why: string) => void;
    const died = new Promise<never>((_, reject) => {
      die = (why) => reject(new Error(why));
    });
    died.catch(() => undefined);
    const region: Region = {
      server,
      browser,
      died,
      die: (why) => {
        if (region.gone) return;
        region.gone = why;
        // Its contexts died with the process: nothing of them is left to serve or discard.
        for (const [key, live] of this.#sessions) if (live.region === id) this.#sessions.delete(key);
        die(why);
      },
    };
    // A Chromium that crashes on its own is as gone as a killed one.
    browser.on('disconnected', () => this.#closing || region.die('its Chromium disconnected'));
    server.process().once('exit', (code, signal) => this.#closing || region.die(`its Chromium exited (${signal ?? `code ${code}`})`));
    this.#regions.set(id, region);
  }

  /** The process id of a region's Chromium. */
  pid(region: string): number | undefined {
    return this.#regions.get(region)?.server.process().pid;
  }

  /**
   * SIGKILLs a region's Chromium (no clean shutdown: its contexts, cookies and
   * localStorage are gone) and waits for the process to exit. From then on every
   * call on the region fails with `REGION_UNAVAILABLE`.
   */
  async kill(region: string): Promise<void> {
    const r = this.#region(region, 'kill', false);
    const child = r.server.process();
    let timer: NodeJS.Timeout | undefined;
    const exited = hasExited(child)
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => {
          child.once('exit', () => resolve());
          timer = setTimeout(() => reject(new MeridianError('TIMEOUT', `Chromium of ${region} (pid ${child.pid}) did not exit ${CALL_TIMEOUT_MILLIS} ms after SIGKILL`, { details: { timeoutMillis: CALL_TIMEOUT_MILLIS, regionId: region } })), CALL_TIMEOUT_MILLIS);
        });
    r.die('its Chromium was SIGKILLed');
    child.kill('SIGKILL');
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Starts a session in a region: a fresh context with one tab at `url`. */
  async open(sessionId: string, region: string, url: string): Promise<BrowserContext> {
    return this.#call(region, `open of session "${sessionId}"`, undefined, async (browser) => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(url);
      this.#sessions.set(this.#key(sessionId, region), { region, context, tabs: [url], suspended: false, epoch: 0 });
      return context;
    });
  }

  /** The live context of a session in a region, if any. */
  context(sessionId: string, region: string): BrowserContext | undefined {
    return this.#sessions.get(this.#key(sessionId, region))?.context;
  }

  /** Whether a session serves (is not suspended) in a region whose Chromium runs. */
  isActive(sessionId: string, region: string): boolean {
    const live = this.#sessions.get(this.#key(sessionId, region));
    return live !== undefined && !live.suspended && this.#regions.get(region)?.gone === undefined;
  }

  /** The fencing epoch of a session's copy in a region, if it holds one. */
  epoch(sessionId: string, region: string): number | undefined {
    return this.#sessions.get(this.#key(sessionId, region))?.epoch;
  }

  async snapshot(session: SessionRef, options: AdapterCallOptions): Promise<BrowserState> {
    return this.#call(session.region, `snapshot of session "${session.id}"`, options.signal, async () => {
      const live = this.#live(session.id, session.region);
      const tabs = live.context.pages().map((p) => p.url());
      return { storageState: await live.context.storageState(), tabs: tabs.length > 0 ? tabs : live.tabs };
    });
  }

  async suspend(session: SessionRef, region: string, options: AdapterCallOptions): Promise<void> {
    await this.#call(region, `suspend of session "${session.id}"`, options.signal, async () => {
      const live = this.#live(session.id, region);
      if (live.suspended) return;
      await live.context.route('**/*', (route) => route.abort('blockedbyclient'));
      live.suspended = true;
    });
  }

  async restore(session: SessionRef, region: string, state: unknown, options: ActivationCallOptions): Promise<void> {
    await this.#call(region, `restore of session "${session.id}"`, options.signal, async (browser) => {
      const key = this.#key(session.id, region);
      const previous = this.#sessions.get(key);
      const epoch = options.epoch ?? previous?.epoch ?? 0;
      if (previous) this.#fence(session.id, region, epoch, previous.epoch);
      const { storageState, tabs } = state as BrowserState;
      const context = await browser.newContext({ storageState });
      try {
        await context.route('**/*', (route) => route.abort('blockedbyclient'));
      } catch (error) {
        await context.close().catch(() => undefined);
        throw error;
      }
      // A copy left here under an older epoch is replaced, never kept alongside.
      this.#sessions.set(key, { region, context, tabs, suspended: true, epoch });
      await previous?.context.close().catch(() => undefined);
    });
  }

  async activate(session: SessionRef, region: string, options: ActivationCallOptions): Promise<void> {
    await this.#call(region, `activate of session "${session.id}"`, options.signal, async () => {
      const live = this.#live(session.id, region);
      if (options.epoch !== undefined) {
        this.#fence(session.id, region, options.epoch, live.epoch);
        live.epoch = options.epoch;
      }
      if (!live.suspended) return;
      await live.context.unrouteAll({ behavior: 'ignoreErrors' });
      live.suspended = false;
      if (live.context.pages().length === 0) {
        for (const url of live.tabs) await (await live.context.newPage()).goto(url);
      }
    });
  }

  async discard(session: SessionRef, region: string, options: AdapterCallOptions): Promise<void> {
    await this.#call(region, `discard of session "${session.id}"`, options.signal, async () => {
      const key = this.#key(session.id, region);
      const live = this.#sessions.get(key);
      this.#sessions.delete(key);
      await live?.context.close();
    });
  }

  /** Closes every browser (a killed one is only cleaned up). */
  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(
      [...this.#regions.values()].map(async (r) => {
        if (!r.gone) await r.browser.close().catch(() => undefined);
        await r.server.close().catch(() => undefined);
      }),
    );
    this.#regions.clear();
    this.#sessions.clear();
  }

  #fence(sessionId: string, region: string, epoch: number, currentEpoch: number): void {
    if (epoch < currentEpoch) {
      throw new MeridianError('SESSION_FENCED', `Session "${sessionId}" in ${region} holds epoch ${currentEpoch}: refused under epoch ${epoch}`, {
        details: { sessionId, regionId: region, epoch, currentEpoch },
      });
    }
  }

  /**
   * Runs one browser call on a region: `REGION_UNAVAILABLE` at once when its
   * Chromium is gone, or when it goes during the call (Playwright's "has been
   * closed"); bounded by the caller's signal and {@link CALL_TIMEOUT_MILLIS}.
   */
  async #call<T>(region: string, what: string, signal: AbortSignal | undefined, run: (browser: Browser) => Promise<T>): Promise<T> {
    const r = this.#region(region, what);
    signal?.throwIfAborted();
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const bounds = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new MeridianError('TIMEOUT', `${what} in ${region} took longer than ${CALL_TIMEOUT_MILLIS} ms`, { details: { timeoutMillis: CALL_TIMEOUT_MILLIS, regionId: region } })), CALL_TIMEOUT_MILLIS);
      onAbort = () => reject(signal!.reason instanceof Error ? signal!.reason : new MeridianError('ABORTED', `${what} in ${region} was aborted`));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    const call = run(r.browser);
    call.catch(() => undefined); // Lost the race: its late failure is not ours to report.
    try {
      return await Promise.race([call, bounds, r.died]);
    } catch (error) {
      if (MeridianError.isInstance(error)) throw error;
      if (r.gone || CLOSED.test((error as Error)?.message ?? '') || !r.browser.isConnected()) throw this.#unavailable(region, what, r.gone, error);
      throw error;
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  #unavailable(region: string, what: string, why: string | undefined, cause?: unknown): MeridianError<'REGION_UNAVAILABLE'> {
    return new MeridianError('REGION_UNAVAILABLE', `Region "${region}" is unavailable (${why ?? 'its browser has been closed'}): ${what} refused`, {
      ...(cause === undefined ? {} : { cause }),
      details: { regionId: region, operation: what },
    });
  }

  #key(sessionId: string, region: string): string {
    return `${region}/${sessionId}`;
  }

  #region(region: string, what: string, requireAlive = true): Region {
    const r = this.#regions.get(region);
    if (!r) throw new MeridianError('REGION_NOT_FOUND', `No browser region "${region}"`, { details: { regionId: region } });
    if (requireAlive && r.gone) throw this.#unavailable(region, what, r.gone);
    return r;
  }

  #live(sessionId: string, region: string): Live {
    const live = this.#sessions.get(this.#key(sessionId, region));
    if (!live) throw new MeridianError('SESSION_NOT_FOUND', `Session "${sessionId}" is not in region "${region}"`, { details: { sessionId, regionId: region } });
    return live;
  }
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}
