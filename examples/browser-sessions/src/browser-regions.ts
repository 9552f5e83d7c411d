import { existsSync } from 'node:fs';
import { MeridianError, type AdapterCallOptions, type SessionAdapter, type SessionRef } from '@meridian/core';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

/** Debian's Chromium; never a downloaded browser. Override with CHROMIUM_PATH. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags for headless Chromium in a sandboxed, offline machine. */
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

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
}

/**
 * Each region runs its own Chromium; a session is a browser context in one of
 * them. Suspending blocks every request of the context (the user's tabs stop
 * acting, their state stays); restoring creates a context in the target's
 * browser from the snapshot, blocked until activated, which reopens the tabs.
 */
export class BrowserRegions implements SessionAdapter {
  readonly #browsers = new Map<string, Browser>();
  readonly #sessions = new Map<string, Live>();

  /** Launches one headless Chromium per region. */
  static async launch(regions: string[]): Promise<BrowserRegions> {
    if (!chromiumAvailable()) {
      throw new MeridianError('INVALID_CONFIG', `Chromium not found at ${CHROMIUM_PATH}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`);
    }
    const out = new BrowserRegions();
    for (const region of regions) out.#browsers.set(region, await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: FLAGS }));
    return out;
  }

  /** Starts a session in a region: a fresh context with one tab at `url`. */
  async open(sessionId: string, region: string, url: string): Promise<BrowserContext> {
    const context = await this.#browser(region).newContext();
    const page = await context.newPage();
    await page.goto(url);
    this.#sessions.set(this.#key(sessionId, region), { region, context, tabs: [url], suspended: false });
    return context;
  }

  /** The live context of a session in a region, if any. */
  context(sessionId: string, region: string): BrowserContext | undefined {
    return this.#sessions.get(this.#key(sessionId, region))?.context;
  }

  /** Whether a session serves (is not suspended) in a region. */
  isActive(sessionId: string, region: string): boolean {
    const live = this.#sessions.get(this.#key(sessionId, region));
    return live !== undefined && !live.suspended;
  }

  async snapshot(session: SessionRef, _options: AdapterCallOptions): Promise<BrowserState> {
    const live = this.#live(session.id, session.region);
    const tabs = live.context.pages().map((p) => p.url());
    return { storageState: await live.context.storageState(), tabs: tabs.length > 0 ? tabs : live.tabs };
  }

  async suspend(session: SessionRef, region: string, _options: AdapterCallOptions): Promise<void> {
    const live = this.#live(session.id, region);
    if (live.suspended) return;
    await live.context.route('**/*', (route) => route.abort('blockedbyclient'));
    live.suspended = true;
  }

  async restore(session: SessionRef, region: string, state: unknown, _options: AdapterCallOptions): Promise<void> {
    const { storageState, tabs } = state as BrowserState;
    const context = await this.#browser(region).newContext({ storageState });
    await context.route('**/*', (route) => route.abort('blockedbyclient'));
    this.#sessions.set(this.#key(session.id, region), { region, context, tabs, suspended: true });
  }

  async activate(session: SessionRef, region: string, _options: AdapterCallOptions): Promise<void> {
    const live = this.#live(session.id, region);
    if (!live.suspended) return;
    await live.context.unrouteAll({ behavior: 'ignoreErrors' });
    live.suspended = false;
    if (live.context.pages().length === 0) {
      for (const url of live.tabs) await (await live.context.newPage()).goto(url);
    }
  }

  async discard(session: SessionRef, region: string, _options: AdapterCallOptions): Promise<void> {
    const key = this.#key(session.id, region);
    const live = this.#sessions.get(key);
    this.#sessions.delete(key);
    await live?.context.close();
  }

  /** Closes every browser. */
  async close(): Promise<void> {
    await Promise.all([...this.#browsers.values()].map((b) => b.close()));
    this.#browsers.clear();
    this.#sessions.clear();
  }

  #key(sessionId: string, region: string): string {
    return `${region}/${sessionId}`;
  }

  #browser(region: string): Browser {
    const browser = this.#browsers.get(region);
    if (!browser) throw new MeridianError('REGION_NOT_FOUND', `No browser region "${region}"`, { details: { regionId: region } });
    return browser;
  }

  #live(sessionId: string, region: string): Live {
    const live = this.#sessions.get(this.#key(sessionId, region));
    if (!live) throw new MeridianError('SESSION_NOT_FOUND', `Session "${sessionId}" is not in region "${region}"`, { details: { sessionId, regionId: region } });
    return live;
  }
}
