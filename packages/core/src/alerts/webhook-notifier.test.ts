import { getFreePort, startScriptedServer, type ScriptedServer } from '@meridian/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock/manual-clock.js';
import { MeridianError } from '../errors/meridian-error.js';
import { TypedEmitter } from '../events/typed-emitter.js';
import type { FailoverEvents } from '../failover/failover-types.js';
import type { HealthEvents } from '../health/health-types.js';
import type { SyncEvents } from '../sync/sync-types.js';
import type { AlertDroppedEvent, AlertFailedEvent, AlertInput, AlertSentEvent } from './alert-types.js';
import { WebhookNotifier } from './webhook-notifier.js';
import type { WebhookNotifierOptions } from './webhook-options.js';

const SECRET = 'T0001-B0002-xoxbSecretToken42';
let server: ScriptedServer;
let clock: ManualClock;
let notifier: WebhookNotifier | undefined;

beforeEach(async () => {
  server = await startScriptedServer();
  clock = new ManualClock(1_790_000_000_000);
});

afterEach(async () => {
  await notifier?.shutdown({ timeoutMillis: 0 });
  notifier = undefined;
  await server.close();
});

function create(options: Partial<WebhookNotifierOptions> = {}): { n: WebhookNotifier; sent: AlertSentEvent[]; failed: AlertFailedEvent[]; dropped: AlertDroppedEvent[] } {
  notifier = new WebhookNotifier({
    webhooks: [{ url: `${server.url}/services/${SECRET}?token=${SECRET}`, name: 'ops' }],
    clock,
    random: () => 0.5, // no jitter: delays are exact
    retry: { initialDelayMillis: 1_000, maxAttempts: 4 },
    ...options,
  });
  const sent: AlertSentEvent[] = [];
  const failed: AlertFailedEvent[] = [];
  const dropped: AlertDroppedEvent[] = [];
  notifier.on('alert:sent', (e) => sent.push(e));
  notifier.on('alert:failed', (e) => failed.push(e));
  notifier.on('alert:dropped', (e) => dropped.push(e));
  return { n: notifier, sent, failed, dropped };
}

const ALERT: AlertInput = { type: 'region-unhealthy', severity: 'critical', region: 'eu-west', message: 'eu-west is unhealthy: 3 probes failed', details: { probes: 3 } };

/** Waits (real time, bounded) until `check` holds: for a real HTTP round trip to land. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Waits until the notifier sleeps exactly `millis` of virtual time, then lets it pass. */
async function passDelay(millis: number): Promise<void> {
  const due = clock.now() + millis;
  await until(() => clock.nextDue() === due, `a ${millis} ms wait (next timer due in ${(clock.nextDue() ?? NaN) - clock.now()} ms)`);
  clock.advance(millis);
}

describe('WebhookNotifier delivery', () => {
  it('retries 500, 500 then 200: three attempts, with exponential backoff on the clock', async () => {
    const { n, sent } = create();
    server.queue({ kind: 'status', status: 500 }, { kind: 'status', status: 500 });
    n.notify(ALERT);
    await until(() => server.requests === 1, 'attempt 1');
    await passDelay(1_000);
    await until(() => server.requests === 2, 'attempt 2');
    await passDelay(2_000);
    await until(() => sent.length === 1, 'alert:sent');
    expect(server.requests).toBe(3);
    expect(sent[0]).toMatchObject({ webhook: 'ops', attempts: 3, status: 200 });
    const body = JSON.parse(server.received[2]!.body);
    expect(body).toEqual({
      type: 'region-unhealthy',
      severity: 'critical',
      region: 'eu-west',
      message: 'eu-west is unhealthy: 3 probes failed',
      details: { probes: 3 },
      timestamp: new Date(1_790_000_000_000).toISOString(),
      key: 'region-unhealthy:eu-west:eu-west is unhealthy: 3 probes failed',
    });
    expect(server.received[0]).toMatchObject({ method: 'POST', headers: expect.objectContaining({ 'content-type': 'application/json' }) });
  });

  it('honours Retry-After on a 429 (seconds), instead of its own backoff', async () => {
    const { n, sent } = create();
    server.queue({ kind: 'status', status: 429, headers: { 'retry-after': '7' } });
    n.notify(ALERT);
    await until(() => server.requests === 1, 'attempt 1');
    await passDelay(7_000);
    await until(() => sent.length === 1, 'alert:sent');
    expect(sent[0]!.attempts).toBe(2);
  });

  it('gives up after maxAttempts, and a 4xx other than 429 at once; no part of the URL in any error', async () => {
    const { n, failed } = create({ retry: { initialDelayMillis: 100, maxAttempts: 2 } });
    server.set({ kind: 'status', status: 503 });
    n.notify(ALERT);
    await until(() => server.requests === 1, 'attempt 1');
    await passDelay(100);
    await until(() => failed.length === 1, 'alert:failed');
    expect(failed[0]).toMatchObject({ webhook: 'ops', attempts: 2, error: { code: 'WEBHOOK_FAILED', status: 503 } });
    expect(failed[0]!.error.message).toMatch(/ops answered HTTP 503 \(gave up after 2 attempts\)/);
    server.set({ kind: 'status', status: 404 });
    n.notify({ ...ALERT, key: 'other' });
    await until(() => failed.length === 2, 'second alert:failed');
    expect(failed[1]).toMatchObject({ attempts: 1, error: { status: 404 } });
    expect(JSON.stringify(failed)).not.toContain(SECRET);
  });

  it('network errors are retried, and neither they nor the default webhook name show the URL', async () => {
    const port = await getFreePort();
    const url = `http://user:pa55word@127.0.0.1:${port}/hooks/${SECRET}?key=${SECRET}`;
    const { n, failed } = create({ webhooks: [{ url }], retry: { initialDelayMillis: 100, maxAttempts: 2 } });
    expect(n.webhooks).toEqual([`webhook[0] (http://127.0.0.1:${port}/…)`]);
    n.notify(ALERT);
    await passDelay(100);
    await until(() => failed.length === 1, 'alert:failed');
    expect(failed[0]!.error.message).toMatch(/ECONNREFUSED/);
    const everything = JSON.stringify(failed) + failed[0]!.error.message;
    for (const secret of [SECRET, 'pa55word', '/hooks/']) expect(everything).not.toContain(secret);
  });

  it('rejects bad options with INVALID_CONFIG that never shows the webhook URL', () => {
    const error = (() => {
      try {
        new WebhookNotifier({ webhooks: [{ url: `ftp://user:pa55word@hooks.example.com/${SECRET}`, format: 'teams' as never }] });
      } catch (e) {
        return e;
      }
    })();
    expect(MeridianError.hasCode(error, 'INVALID_CONFIG')).toBe(true);
    const message = (error as Error).message;
    expect(message).toMatch(/webhooks\[0\]\.url: must be an absolute http\(s\) URL/);
    expect(message).toMatch(/webhooks\[0\]\.format/);
    expect(message).not.toContain(SECRET);
    expect(message).not.toContain('pa55word');
    expect(JSON.stringify((error as MeridianError).details)).not.toContain(SECRET);
  });
});

describe('deduplication and rate limit', () => {
  it('sends the same key once within dedupeWindowMillis, and again after it', async () => {
    const { n, sent, dropped } = create({ dedupeWindowMillis: 60_000 });
    n.notify(ALERT);
    n.notify(ALERT);
    await until(() => sent.length === 1, 'first alert:sent');
    expect(dropped).toEqual([expect.objectContaining({ reason: 'duplicate', webhook: undefined })]);
    clock.advance(60_000);
    n.notify(ALERT);
    await until(() => sent.length === 2, 'second alert:sent');
    expect(server.requests).toBe(2);
  });

  it('lets a burst through, then one alert per 60000/perMinute ms, in order', async () => {
    const { n, sent } = create({ rateLimit: { perMinute: 60, burst: 2 } });
    for (let i = 0; i < 4; i++) n.notify({ ...ALERT, message: `alert ${i}` });
    await until(() => sent.length === 2, 'the burst');
    expect(server.requests).toBe(2);
    await passDelay(1_000);
    await until(() => sent.length === 3, 'the third');
    await passDelay(1_000);
    await until(() => sent.length === 4, 'the fourth');
    expect(server.received.map((r) => JSON.parse(r.body).message)).toEqual(['alert 0', 'alert 1', 'alert 2', 'alert 3']);
  });

  it('drops alerts below a webhook minSeverity, and beyond maxPendingPerWebhook', async () => {
    const { n, sent, dropped } = create({ webhooks: [{ url: server.url, name: 'pager', minSeverity: 'critical' }], rateLimit: { perMinute: 1, burst: 1 }, maxPendingPerWebhook: 2 });
    n.notify({ ...ALERT, severity: 'warning', message: 'just a warning' });
    for (let i = 0; i < 3; i++) n.notify({ ...ALERT, message: `critical ${i}` });
    expect(dropped.map((d) => [d.webhook, d.reason, d.alert.message])).toEqual([
      ['pager', 'below-min-severity', 'just a warning'],
      ['pager', 'queue-full', 'critical 2'],
    ]);
    await until(() => sent.length === 1, 'first');
  });

  it('sends a webhook only the alert types it lists; the others are skipped for it and still go elsewhere', async () => {
    const { n, sent, dropped } = create({
      webhooks: [
        { url: `${server.url}/failovers`, name: 'failovers', types: ['failover-completed'] },
        { url: `${server.url}/all`, name: 'all' },
      ],
    });
    n.notify(ALERT);
    n.notify({ type: 'failover-completed', severity: 'warning', message: 'us-east -> eu-west' });
    await until(() => sent.length === 3, 'three deliveries');
    expect(sent.map((s) => [s.webhook, s.alert.type]).sort()).toEqual([
      ['all', 'failover-completed'],
      ['all', 'region-unhealthy'],
      ['failovers', 'failover-completed'],
    ]);
    expect(server.received.filter((r) => r.path === '/failovers').map((r) => JSON.parse(r.body).type)).toEqual(['failover-completed']);
    expect(dropped).toEqual([]);
    expect(() => create({ webhooks: [{ url: server.url, types: [] }] })).toThrow(/types/);
  });
});

describe('payloads and sources', () => {
  it('slack format: an incoming-webhook { text, blocks } message', async () => {
    const { n, sent } = create({ webhooks: [{ url: server.url, format: 'slack' }] });
    n.notify({ ...ALERT, message: 'eu-west <is> unhealthy & failing', details: { probes: 3, nested: { no: 1 } } });
    await until(() => sent.length === 1, 'alert:sent');
    const body = JSON.parse(server.received[0]!.body);
    expect(Object.keys(body).sort()).toEqual(['blocks', 'text']);
    expect(body.text).toBe('[CRITICAL] region-unhealthy: eu-west: eu-west &lt;is&gt; unhealthy &amp; failing');
    expect(body.blocks.map((b: { type: string }) => b.type)).toEqual(['header', 'section', 'section', 'context']);
    expect(body.blocks[0].text).toMatchObject({ type: 'plain_text', text: ':red_circle: region-unhealthy: eu-west' });
    expect(body.blocks[1].text).toEqual({ type: 'mrkdwn', text: 'eu-west &lt;is&gt; unhealthy &amp; failing' });
    expect(body.blocks[2].fields.map((f: { text: string }) => f.text)).toEqual(['*Severity*\ncritical', '*Type*\nregion-unhealthy', '*Region*\neu-west', '*probes*\n3']);
    expect(body.blocks[3].elements[0].text).toContain(new Date(1_790_000_000_000).toISOString());
  });

  it('turns engine events into alerts: health, failovers, failed migrations, sync lag over the threshold', async () => {
    // Six alerts at once: over the default burst of five, the sixth would wait for the (virtual) clock.
    const { n, sent } = create({ syncLagThresholdMillis: 30_000, rateLimit: { perMinute: 60, burst: 10 } });
    const health = new TypedEmitter<HealthEvents>();
    const failover = new TypedEmitter<FailoverEvents>();
    const sync = new TypedEmitter<SyncEvents>();
    const migrator = new TypedEmitter<{ 'session:migration-failed': { sessionId: string; from: string; to: string; failedStep: string; error: string; resumedInSource: boolean } }>();
    const watching = n.watch({ monitor: health, failover, sync, migrator });
    const transition = (state: 'healthy' | 'unhealthy', previous: 'unknown' | 'healthy' | 'unhealthy') => ({
      regionId: 'eu-west',
      state,
      previous,
      reason: 'r',
      at: 0,
      health: {} as never,
    });
    health.emit('region:healthy', transition('healthy', 'unknown')); // start-up: no alert
    health.emit('region:unhealthy', transition('unhealthy', 'healthy'));
    failover.emit('failover:started', { id: 'f1', kind: 'automatic', from: ['eu-west'], to: 'us-east', toRegions: ['us-east'], reason: 'eu-west is unhealthy', at: 0 });
    failover.emit('failover:completed', { id: 'f1', kind: 'automatic', from: ['eu-west'], to: 'us-east', toRegions: ['us-east'], reason: 'eu-west is unhealthy', outcome: 'completed', steps: [], weightsBefore: {}, weightsAfter: { 'us-east': 100 }, startedAt: 0, durationMillis: 12 });
    migrator.emit('session:migration-failed', { sessionId: 's1', from: 'eu-west', to: 'us-east', failedStep: 'restore', error: 'boom', resumedInSource: true });
    sync.emit('sync:lag', { regionId: 'ap-south', lagMillis: 12_000, pendingChanges: 4, lagging: true }); // under 30 s: no alert
    sync.emit('sync:lag', { regionId: 'sa-east', lagMillis: 45_000, pendingChanges: 9, lagging: true });
    health.emit('region:healthy', transition('healthy', 'unhealthy'));
    await until(() => sent.length === 6, 'six alerts');
    expect(sent.map((s) => [s.alert.type, s.alert.severity, s.alert.region])).toEqual([
      ['region-unhealthy', 'critical', 'eu-west'],
      ['failover-started', 'warning', 'us-east'],
      ['failover-completed', 'warning', 'us-east'],
      ['migration-failed', 'warning', 'eu-west'],
      ['sync-lag', 'warning', 'sa-east'],
      ['region-recovered', 'info', 'eu-west'],
    ]);
    watching.dispose();
    health.emit('region:unhealthy', transition('unhealthy', 'healthy'));
    expect(n.pending).toBe(0);
  });

  it('shutdown drops what cannot be sent in time (in flight included) and is idempotent', async () => {
    const { n, dropped } = create();
    server.set({ kind: 'hang' });
    n.notify(ALERT);
    await until(() => server.requests === 1, 'the hanging request');
    const first = n.shutdown({ timeoutMillis: 1_000 });
    expect(n.shutdown()).toBe(first);
    await passDelay(1_000);
    await first;
    expect(dropped).toEqual([expect.objectContaining({ webhook: 'ops', reason: 'shutdown' })]);
    n.notify({ ...ALERT, key: 'late' });
    expect(dropped.at(-1)).toMatchObject({ reason: 'shutdown', webhook: undefined });
  });
});
