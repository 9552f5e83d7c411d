import { findLeakedProcesses } from '@meridian/testkit';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, listen } from '../src/app.js';
import { startMeridian, type Meridian } from '../src/meridian.js';

let meridian: Meridian;
let http: Awaited<ReturnType<typeof listen>>;
let pids: number[];

beforeAll(async () => {
  meridian = await startMeridian({ intervalMillis: 200, holdDownMillis: 60_000 });
  pids = meridian.provider.pids();
  http = await listen(createApp(meridian));
  await new Promise<void>((resolve) => {
    const check = (): void => (meridian.monitor.snapshot().every((h) => h.state === 'healthy') ? resolve() : void setTimeout(check, 20));
    check();
  });
});

afterAll(async () => {
  await http.close();
  await meridian.stop();
  expect(await findLeakedProcesses(pids)).toEqual([]);
});

async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await request(`${http.url}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: res.statusCode, json: await res.body.json() };
}

/** Reads Server-Sent Events until `until` matches one (bounded by a timeout). */
async function collectEvents(trigger: () => Promise<void>, until: (event: string, data: any) => boolean): Promise<Array<{ event: string; data: any }>> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 10_000);
  const res = await request(`${http.url}/events`, { signal: controller.signal });
  const seen: Array<{ event: string; data: any }> = [];
  let buffer = '';
  const reading = (async () => {
    for await (const chunk of res.body) {
      buffer += chunk.toString();
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (!event || !data) continue;
        seen.push({ event, data: JSON.parse(data) });
        if (until(event, JSON.parse(data))) return;
      }
    }
  })();
  await trigger();
  await reading.catch(() => undefined);
  clearTimeout(timer);
  controller.abort();
  return seen;
}

describe('Express app embedding Meridian', () => {
  it('routes clients by IP and maps bad input to 400 with the Meridian code', async () => {
    expect((await call('GET', '/route?ip=81.2.69.160')).json).toMatchObject({ region: 'eu-west', country: 'GB' });
    expect((await call('GET', '/route?ip=126.1.2.3')).json.region).toBe('ap-south');
    const bad = await call('GET', '/route?ip=10.0.0.0/8');
    expect(bad).toMatchObject({ status: 400, json: { code: 'INVALID_ARGUMENT' } });
  });

  it('serves status and refuses a failover to an unknown region with 404', async () => {
    const status = await call('GET', '/status');
    expect(status.json.failover).toMatchObject({ active: ['us-east'], isLeader: true });
    expect(status.json.health).toHaveLength(3);
    expect(await call('POST', '/failover', { to: 'mars' })).toMatchObject({ status: 404, json: { code: 'REGION_NOT_FOUND' } });
  });

  it('runs a drill over HTTP', async () => {
    const drill = await call('POST', '/drill', { to: 'ap-south', durationMillis: 300 });
    expect(drill.json).toMatchObject({ kind: 'drill', targetServed: true, rolledBack: true });
  });

  it('streams health and failover events while the primary dies', async () => {
    const events = await collectEvents(
      () => meridian.provider.kill('us-east'),
      (event) => event === 'failover:completed',
    );
    const names = events.map((e) => e.event);
    expect(names).toContain('region:unhealthy');
    expect(events.find((e) => e.event === 'failover:completed')?.data).toMatchObject({ kind: 'automatic', from: ['us-east'], to: 'eu-west' });
    expect((await call('GET', '/route?ip=3.0.0.10')).json.region).not.toBe('us-east');
    expect(await call('POST', '/failover', { to: 'us-east' })).toMatchObject({ status: 409, json: { code: 'REGION_UNAVAILABLE' } });
  });
});
