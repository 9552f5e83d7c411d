// The built `meridian` binary against real `meridian agent` subprocesses on the local
// provider: sync modes and the manual conflict queue, cancelling operations (Ctrl-C,
// --detach + cancel), runtime failover order and health probing, alert webhooks to a
// real loopback HTTP server, and requests per region in status.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { findLeakedProcesses } from '@meridian/testkit';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { follow } from '../src/client/follow-operation.js';
import { createContext } from '../src/commands/context.js';
import { CliError, EXIT } from '../src/exit-codes.js';
import { cli, ensureBuilt, THREE_REGIONS, until } from './cli-harness.js';

const { MERIDIAN_ADMIN_TOKEN: _t, MERIDIAN_AGENT_URL: _u, ...cleanEnv } = process.env;
const baseEnv = { ...cleanEnv, NO_COLOR: '1' };
// Each test runs tens of `meridian` subprocesses; on a busy 2-core machine that can take a minute (a bound, not a timing check).
vi.setConfig({ testTimeout: 180_000 });

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function meridian(cwd: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd, env: baseEnv, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function json<T = any>(cwd: string, args: string[]): Promise<T> {
  const run = await meridian(cwd, [...args, '--json']);
  expect(run.code, `meridian ${args.join(' ')} failed:\n${run.stderr}`).toBe(0);
  return JSON.parse(run.stdout) as T;
}

/** A command that must fail with this exit code and this coded message. */
async function refused(cwd: string, args: string[], code: number, message: RegExp): Promise<void> {
  const run = await meridian(cwd, args);
  expect(run.code, `meridian ${args.join(' ')}: ${run.stderr}`).toBe(code);
  expect(run.stderr).toMatch(message);
}



interface Agent {
  dir: string;
  proc: ChildProcess;
  log: () => string;
  pids: Set<number>;
  exit: Promise<number | null>;
}

async function startAgent(config: string): Promise<Agent> {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-cliops-'));
  writeFileSync(join(dir, 'meridian.config.yaml'), config);
  const proc = spawn(process.execPath, [cli, 'agent'], { cwd: dir, env: baseEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    proc.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes(' ready in ')) resolve();
    });
    void exit.then((code) => reject(new Error(`agent exited ${code} before it was ready:\n${log}`)));
  });
  const agent: Agent = { dir, proc, log: () => log, pids: new Set(), exit };
  await statusOf(agent);
  return agent;
}

async function statusOf(agent: Agent): Promise<any> {
  const s = await json(agent.dir, ['status']);
  for (const r of s.regions) if (r.deploy.pid) agent.pids.add(r.deploy.pid);
  return s;
}

async function stopAgent(agent: Agent | undefined): Promise<void> {
  if (!agent) return;
  if (agent.proc.exitCode === null) {
    agent.proc.kill('SIGTERM');
    expect(await agent.exit).toBe(0);
    expect(await findLeakedProcesses([agent.proc.pid!, ...agent.pids])).toEqual([]);
  }
  rmSync(agent.dir, { recursive: true, force: true });
}

const weightsOf = (s: any): Record<string, number> => Object.fromEntries(s.regions.map((r: any) => [r.id, r.weight]));

const REGIONS = THREE_REGIONS;

/** A real webhook receiver on loopback: the first POST answers 503 (to be retried), the rest 200. */
let hooks: Server;
let hookUrl = '';
const received: Array<{ path: string; body: any }> = [];
let posts = 0;

beforeAll(async () => {
  // The acceptance runs the built binary; the root `npm test` builds everything first.
  ensureBuilt();
  hooks = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      posts += 1;
      if (posts === 1) {
        res.writeHead(503).end();
        return;
      }
      received.push({ path: req.url ?? '', body: JSON.parse(body) });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await new Promise<void>((resolve) => hooks.close(() => resolve()));
});

describe('active-active sync with the manual policy, operations and runtime settings', () => {
  let a: Agent;
  beforeAll(async () => {
    a = await startAgent(`app:
  name: shop
provider:
  kind: local
${REGIONS}health:
  intervalMillis: 300
  timeoutMillis: 200
failover:
  drainMillis: 3600000
  failback: { holdDownMillis: 600000 }
sync:
  enabled: true
  conflictPolicy: manual
  intervalMillis: 100
alerts:
  webhooks:
    - url: ${hookUrl}/ops
      name: ops
      events: [failover:started, failover, region:unhealthy]
  retryDelayMillis: 100
  maxAttempts: 3
`);
  }, 120_000);
  afterAll(() => stopAgent(a), 30_000);

  it('a conflict made by writes in two regions while sync waits is queued, listed per region, and resolved with --keep and with --value', async () => {
    // Sync "paused": the next round an hour away, so the two writes cannot see each other first.
    const settings = await json(a.dir, ['sync', 'configure', '--interval', '1h']);
    expect(settings).toEqual({ intervalMillis: 3_600_000 });
    for (const key of ['cart:1', 'cart:2']) {
      await json(a.dir, ['sync', 'write', key, JSON.stringify({ from: 'us-east', key }), '--region', 'us-east']);
      await json(a.dir, ['sync', 'write', key, JSON.stringify({ from: 'eu-west', key }), '--region', 'eu-west']);
    }
    // status --wait runs the rounds now: the concurrent writes meet and are queued, not settled.
    const synced = await json(a.dir, ['sync', 'status', '--wait', '10s']);
    expect(synced).toMatchObject({ policy: 'manual', converged: true, conflictsPending: 2 });
    const { policy, conflicts } = await json(a.dir, ['sync', 'conflicts']);
    expect(policy).toBe('manual');
    expect(conflicts.map((c: any) => c.key)).toEqual(['cart:1', 'cart:2']);
    for (const c of conflicts) {
      expect(c.versions.map((v: any) => [v.region, v.value])).toEqual([
        ['us-east', { from: 'us-east', key: c.key }],
        ['eu-west', { from: 'eu-west', key: c.key }],
      ]);
      expect(typeof c.detectedAt).toBe('number');
    }
    const human = await meridian(a.dir, ['sync', 'conflicts']);
    expect(human.stdout).toMatch(/2 pending conflict\(s\)\nKEY +REGION +VALUE +VERSION +DETECTED\ncart:1 +us-east +\{"from":"us-east","key":"cart:1"\}/);

    // Bad input first: each a coded error with its exit code, and nothing resolved.
    await refused(a.dir, ['sync', 'resolve', 'cart:9', '--keep', 'us-east'], 5, /no pending conflict on "cart:9"; pending: cart:1, cart:2 .*\[CONFLICT_NOT_FOUND\]/);
    await refused(a.dir, ['sync', 'resolve', 'cart:1', '--keep', 'ap-south'], 2, /ap-south has no version of "cart:1"; versions from: us-east, eu-west \[NO_VERSION_IN_REGION\]/);
    await refused(a.dir, ['sync', 'resolve', 'cart:1', '--keep', 'mars'], 5, /Unknown region "mars".*\[REGION_NOT_FOUND\]/);
    writeFileSync(join(a.dir, 'broken.json'), '{"items": [1, 2,');
    await refused(a.dir, ['sync', 'resolve', 'cart:2', '--value', 'broken.json'], 2, /--value: broken\.json is not valid JSON: .*\[INVALID_JSON\]/);
    await refused(a.dir, ['sync', 'resolve', 'cart:2', '--value', 'absent.json'], 2, /cannot read absent\.json: ENOENT \[FILE_UNREADABLE\]/);
    await refused(a.dir, ['sync', 'resolve', 'cart:2', '--keep', 'us-east', '--value', 'broken.json'], 2, /exactly one of --keep REGION, --value FILE, --delete/);
    expect((await json(a.dir, ['sync', 'conflicts'])).conflicts).toHaveLength(2);

    const kept = await json(a.dir, ['sync', 'resolve', 'cart:1', '--keep', 'eu-west']);
    expect(kept).toMatchObject({ kept: 'eu-west', deleted: false, resolved: { key: 'cart:1' } });
    writeFileSync(join(a.dir, 'merged.json'), JSON.stringify({ from: 'both', items: [1, 2] }));
    const written = await meridian(a.dir, ['sync', 'resolve', 'cart:2', '--value', 'merged.json']);
    expect(written.code, written.stderr).toBe(0);
    expect(written.stdout).toMatch(/^resolved cart:2: wrote the value from merged\.json \(version \S+, written in us-east; it replicates to every region\)/);

    const after = await json(a.dir, ['sync', 'status', '--wait', '10s']);
    expect(after).toMatchObject({ converged: true, conflictsPending: 0, conflictsResolved: 2 });
    for (const region of ['us-east', 'eu-west', 'ap-south']) {
      expect((await json(a.dir, ['sync', 'read', 'cart:1', '--region', region])).value).toEqual({ from: 'eu-west', key: 'cart:1' });
      expect((await json(a.dir, ['sync', 'read', 'cart:2', '--region', region])).value).toEqual({ from: 'both', items: [1, 2] });
    }
    expect((await json(a.dir, ['sync', 'conflicts'])).conflicts).toEqual([]);
    await refused(a.dir, ['sync', 'resolve', 'cart:1', '--keep', 'eu-west'], 5, /\[CONFLICT_NOT_FOUND\]/);
  });

  it('sync configure changes the interval and bandwidth at runtime; bad values are usage errors', async () => {
    expect(await json(a.dir, ['sync', 'configure', '--interval', '200ms', '--max-bytes-per-second', '100MB'])).toEqual({ intervalMillis: 200, maxBytesPerSecond: 100_000_000 });
    // The short interval is in force: a write replicates on the agent's own timer (no --wait here).
    await json(a.dir, ['sync', 'write', 'after-configure', '1', '--region', 'ap-south']);
    await until('the write to reach us-east', async () => (await meridian(a.dir, ['sync', 'read', 'after-configure', '--region', 'us-east'])).code === 0);
    expect(await json(a.dir, ['sync', 'configure', '--max-bytes-per-second', 'unlimited'])).toEqual({ intervalMillis: 200 });
    await refused(a.dir, ['sync', 'configure', '--max-bytes-per-second', 'lots'], 2, /"lots" is not a size/);
    await refused(a.dir, ['sync', 'configure', '--interval', 'soon'], 2, /--interval: "soon" is not a duration/);
    await refused(a.dir, ['sync', 'configure'], 2, /give --interval and\/or --max-bytes-per-second/);
  });

  it('drill --detach prints its id and leaves it running; meridian cancel rolls it back (traffic as before, counted)', async () => {
    const before = weightsOf(await statusOf(a));
    expect(before).toEqual({ 'us-east': 100, 'eu-west': 0, 'ap-south': 0 });
    const started = await meridian(a.dir, ['drill', '--to', 'eu-west', '--duration', '1h', '--detach']);
    expect(started.code, started.stderr).toBe(0);
    const id = started.stdout.trim();
    expect(id).toMatch(/^drill-\S+$/);
    expect(started.stderr).toContain(`stop it with meridian cancel ${id}`);
    const running = await until('the drill to hold on eu-west', async () => {
      const s = await statusOf(a);
      return s.failover.operation?.id === id && weightsOf(s)['eu-west'] === 100 ? s : undefined;
    });
    expect(running.failover.operation).toEqual({ id, kind: 'drill' });
    expect((await json(a.dir, ['operations'])).find((o: any) => o.id === id)).toMatchObject({ kind: 'drill', state: 'running' });

    const cancelled = await meridian(a.dir, ['cancel', id]);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toMatch(new RegExp(`^drill ${id} cancelled: drill to eu-west was cancelled: .*completed steps were rolled back`));
    const after = await statusOf(a);
    expect(weightsOf(after)).toEqual(before);
    expect(after.failover.operation).toBeUndefined();
    expect(after.failover.last).toMatchObject({ kind: 'drill', to: 'eu-west', outcome: 'cancelled' });
    expect((await json(a.dir, ['operations'])).find((o: any) => o.id === id)).toMatchObject({ state: 'cancelled' });
    const metrics = await (await request(`${JSON.parse(readFileSync(join(a.dir, '.meridian', 'agent.json'), 'utf8')).url}/metrics`)).body.text();
    expect(metrics).toContain('meridian_failovers_total{kind="drill",outcome="cancelled"} 1');

    await refused(a.dir, ['cancel', id], 1, /already ended \(cancelled.*nothing to cancel \[OPERATION_FINISHED\]/);
    await refused(a.dir, ['cancel', 'drill-nope'], 5, /no operation "drill-nope" on this agent; running: none .*\[OPERATION_NOT_FOUND\]/);
  });

  it('Ctrl-C on a running failover (no terminal) cancels it on the agent: rolled back, traffic as before, exit 6', async () => {
    const before = weightsOf(await statusOf(a));
    const child = spawn(process.execPath, [cli, 'failover', '--to', 'ap-south', '--drain'], { cwd: a.dir, env: baseEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      // Interrupted during the drain step, when traffic is already on ap-south.
      if (/drain +running/.test(stderr) && !child.killed) child.kill('SIGINT');
    });
    expect(await exit).toBe(6);
    expect(stderr).toMatch(/failover planned-\S+ started on the agent \(Ctrl-C to cancel it\)/);
    expect(stderr).toMatch(/cancelling failover planned-\S+ on the agent/);
    expect(stderr).toMatch(/shift-traffic +rolled-back/);
    expect(stderr).toMatch(/meridian: failover planned-\S+ was cancelled on the agent: .*rolled back \[CANCELLED\]/);
    const after = await statusOf(a);
    expect(weightsOf(after)).toEqual(before);
    expect(after.failover.last).toMatchObject({ kind: 'planned', to: 'ap-south', outcome: 'cancelled' });
  });

  it('on a terminal, Ctrl-C asks: N leaves the drill running (its id given), y cancels it on the agent (rolled back, CANCELLED)', async () => {
    const before = weightsOf(await statusOf(a));
    const file = JSON.parse(readFileSync(join(a.dir, '.meridian', 'agent.json'), 'utf8'));
    // The client as the binary runs it, in process: its Ctrl-C and terminal are an emitter and a stream here.
    const session = (answer: string) => {
      const stderr = new PassThrough();
      const input = new PassThrough();
      let text = '';
      stderr.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.endsWith('[y/N] ')) input.write(`${answer}\n`);
      });
      const ctx = createContext(a.dir, { ...baseEnv, MERIDIAN_AGENT_URL: file.url, MERIDIAN_ADMIN_TOKEN: file.token }, { stdout: new PassThrough() as never, stderr: stderr as never }, () => undefined);
      const signals = new EventEmitter();
      const run = follow(ctx, 'POST', '/v1/drill', { to: 'eu-west', durationMillis: 3_600_000 }, {
        signals,
        interactive: true,
        input,
        onEvent: (e) => {
          if (e.type === 'progress' && e['step'] === 'hold' && e['status'] === 'running') signals.emit('SIGINT');
        },
      });
      return { run, text: () => text };
    };

    const no = session('n');
    const left = await no.run;
    expect(left).toMatchObject({ detached: { kind: 'drill' } });
    const id = (left as { detached: { id: string } }).detached.id;
    expect(no.text()).toContain(`cancel drill ${id} on the agent? [y/N] `);
    expect(no.text()).toContain(`left drill ${id} running on the agent; \`meridian cancel ${id}\` stops it`);
    expect((await statusOf(a)).failover.operation).toEqual({ id, kind: 'drill' });
    expect((await meridian(a.dir, ['cancel', id])).code).toBe(0);

    const yes = session('y');
    const error = await yes.run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(EXIT.CANCELLED);
    expect((error as CliError).message).toMatch(/^drill drill-\S+ was cancelled on the agent: drill to eu-west was cancelled/);
    expect(yes.text()).toMatch(/cancelling drill drill-\S+ on the agent \(it rolls back\)/);
    const after = await statusOf(a);
    expect(weightsOf(after)).toEqual(before);
    expect(after.failover.last).toMatchObject({ kind: 'drill', outcome: 'cancelled' });
  });

  it('status shows requests per region from the front door, and sessions per region', async () => {
    const s = await statusOf(a);
    const door = s.frontDoor as string;
    const baseline = s.traffic.byRegion['us-east'].requests as number;
    for (let i = 0; i < 20; i++) await (await request(`${door}/`)).body.dump();
    await json(a.dir, ['sessions', 'add', 'web-1', '--region', 'eu-west']);
    const after = await statusOf(a);
    expect(after.traffic.source).toBe(`front door ${door}`);
    expect(after.traffic.byRegion['us-east'].requests).toBe(baseline + 20);
    expect(after.regions.find((r: any) => r.id === 'us-east')).toMatchObject({ requests: baseline + 20, sessions: 0 });
    expect(after.regions.find((r: any) => r.id === 'eu-west')).toMatchObject({ sessions: 1 });
    const human = await meridian(a.dir, ['status']);
    expect(human.stdout).toMatch(/SESSIONS +REQUESTS/);
    expect(human.stdout).toMatch(new RegExp(`us-east .* ${baseline + 20} \\(\\d+(\\.\\d)?%\\)`));
    expect(human.stdout).toMatch(/traffic: \d+ request\(s\) through the front door http:\/\/127\.0\.0\.1:\d+/);
  });

  it('health configure and failover set-priority: bad input is refused with its exit code', async () => {
    await refused(a.dir, ['health', 'configure', '--interval', '100ms'], 2, /timeoutMillis \(200\) must be smaller than intervalMillis \(100\).*\[INVALID_ARGUMENT\]/);
    await refused(a.dir, ['health', 'configure', '--failures', '0'], 2, /--failures <n>.*must be a positive integer/);
    await refused(a.dir, ['health', 'configure'], 2, /give at least one of --interval, --timeout, --failures, --successes, --latency-threshold, --availability-threshold/);
    await refused(a.dir, ['health', 'configure', '--availability-threshold', '0'], 2, /--availability-threshold: "0" must be a percentage above 0 and up to 100/);
    await refused(a.dir, ['health', 'configure', '--availability-threshold', '101%'], 2, /must be a percentage above 0 and up to 100/);
    await refused(a.dir, ['health', 'configure', '--latency-threshold', 'fast'], 2, /--latency-threshold: "fast" is not a duration/);
    await refused(a.dir, ['failover', 'set-priority', 'mars', '1'], 5, /Unknown region "mars".*\[REGION_NOT_FOUND\]/);
    await refused(a.dir, ['health', 'check', '--region', 'mars'], 5, /Unknown region "mars".*\[REGION_NOT_FOUND\]/);
    // A probe now, outside the schedule: it counts as one.
    const before = (await json(a.dir, ['health'])).regions.find((r: any) => r.regionId === 'eu-west').probes;
    const checked = await json(a.dir, ['health', 'check', '--region', 'eu-west']);
    expect(checked.probes).toEqual([expect.objectContaining({ regionId: 'eu-west', ok: true, status: 200 })]);
    expect(checked.regions).toEqual([expect.objectContaining({ regionId: 'eu-west', state: 'healthy' })]);
    expect(checked.regions[0].probes).toBeGreaterThan(before);
    const all = await json(a.dir, ['health', 'check']);
    expect(all.probes.map((p: any) => p.regionId).sort()).toEqual(['ap-south', 'eu-west', 'us-east']);
    await refused(a.dir, ['failover', 'set-priority', 'eu-west', '-1'], 2, /error/);
    await refused(a.dir, ['failover', 'set-priority', '--order', 'eu-west,eu-west'], 2, /order: a region appears twice/);
    await refused(a.dir, ['failover', 'set-priority'], 2, /give REGION N/);
    await refused(a.dir, ['failover'], 2, /required option '--to <region>' not specified/);
    expect((await json(a.dir, ['health', 'configure', '--timeout', '250ms']))).toMatchObject({ intervalMillis: 300, timeoutMillis: 250 });
    // Degraded thresholds, as azlin's --latency-threshold and --availability-threshold; then off again.
    expect(await json(a.dir, ['health', 'configure', '--latency-threshold', '5s', '--availability-threshold', '95%'])).toMatchObject({ degradedLatencyMillis: 5_000, degradedAvailability: 0.95 });
    const human = await meridian(a.dir, ['health', 'configure', '--latency-threshold', 'off', '--availability-threshold', 'off']);
    expect(human.stdout).toMatch(/degraded when latency off, availability off/);
    expect(await json(a.dir, ['health', 'configure', '--failures', '3'])).toMatchObject({ degradedLatencyMillis: null, degradedAvailability: null });
  });

  // Last: it kills the home region.
  it('set-priority picks the next failover target, health configure takes effect, and the webhook receives the events', async () => {
    const order = await json(a.dir, ['failover', 'set-priority', '--order', 'us-east,ap-south,eu-west']);
    expect(order).toEqual({ priorities: [{ id: 'us-east', priority: 0 }, { id: 'ap-south', priority: 1 }, { id: 'eu-west', priority: 2 }], home: 'us-east' });
    // Two failed probes in a row are enough from now on (3 in the config's default); not one, so a slow
    // probe on a loaded machine does not flip a healthy region.
    expect(await json(a.dir, ['health', 'configure', '--interval', '400ms', '--timeout', '300ms', '--failures', '2', '--successes', '1'])).toEqual({
      intervalMillis: 400,
      timeoutMillis: 300,
      failuresBeforeUnhealthy: 2,
      successesBeforeHealthy: 1,
      degradedLatencyMillis: null,
      degradedAvailability: null,
    });
    const home = (await statusOf(a)).regions.find((r: any) => r.id === 'us-east');
    process.kill(home.deploy.pid, 'SIGKILL');
    const moved = await until('automatic failover away from us-east', async () => {
      const s = await statusOf(a);
      return s.failover.last?.kind === 'automatic' && s.failover.operation === undefined ? s : undefined;
    });
    // Configured order: eu-west would have been next.
    expect(weightsOf(moved)).toEqual({ 'us-east': 0, 'eu-west': 0, 'ap-south': 100 });
    expect(moved.failover.last).toMatchObject({ to: 'ap-south', outcome: 'completed' });

    const alerts = await until('both alerts at the webhook', async () => {
      const types = received.map((r) => r.body.type);
      const homeDown = received.some((r) => r.body.type === 'region-unhealthy' && r.body.region === 'us-east');
      const started = received.some((r) => r.body.type === 'failover-started' && r.body.details.kind === 'automatic');
      return homeDown && started && types.includes('failover-completed') ? received : undefined;
    });
    expect(alerts.every((r) => r.path === '/ops')).toBe(true);
    const unhealthy = alerts.find((r) => r.body.type === 'region-unhealthy' && r.body.region === 'us-east')!.body;
    expect(unhealthy).toMatchObject({ severity: 'critical', region: 'us-east' });
    // The transition came after two failed probes: the new threshold, not the configured 3.
    expect(unhealthy.details.reason).toMatch(/^2 consecutive failed probes/);
    const completed = alerts.filter((r) => r.body.type === 'failover-completed').at(-1)!.body;
    expect(completed).toMatchObject({ details: expect.objectContaining({ to: 'ap-south' }) });
    // As it began: the same operation, a warning (a region just failed).
    const started = alerts.find((r) => r.body.type === 'failover-started' && r.body.details.id === completed.details.id)!.body;
    expect(started).toMatchObject({ severity: 'warning', region: 'ap-south', details: expect.objectContaining({ kind: 'automatic', from: ['us-east'], to: 'ap-south' }) });
    // Only the events it listed: no region-recovered, no sync lag.
    expect(alerts.map((r) => r.body.type).every((t) => ['region-unhealthy', 'failover-started', 'failover-completed', 'failover-failed', 'no-healthy-region'].includes(t))).toBe(true);
    // The first POST was answered 503 and retried (bounded: maxAttempts 3).
    expect(posts).toBe(received.length + 1);
    expect(a.log()).toMatch(/alerts: \S+ sent to ops \(2 attempt\(s\)\)/);
    expect(a.log()).not.toContain(hookUrl);
    // The killed region probed now: the probe fails, exit 1, and the table says why.
    const check = await meridian(a.dir, ['health', 'check', '--region', 'us-east']);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/us-east +unhealthy .*failed: /);
  });
});

describe('active-passive sync: one writer, changes flow out of the primary', () => {
  let b: Agent;
  beforeAll(async () => {
    b = await startAgent(`app:
  name: ledger
provider:
  kind: local
${REGIONS}health:
  intervalMillis: 300
  timeoutMillis: 200
sync:
  enabled: true
  mode: active-passive
  primary: eu-west
  intervalMillis: 100
`);
  }, 120_000);
  afterAll(() => stopAgent(b), 30_000);

  it('writes go to the primary only and replicate to every region; a write to a replica is refused', async () => {
    const status = await json(b.dir, ['sync', 'status']);
    expect(status).toMatchObject({ mode: 'active-passive', primary: 'eu-west' });
    expect(status.pairs.map((p: any) => `${p.from}>${p.to}`).sort()).toEqual(['eu-west>ap-south', 'eu-west>us-east']);
    await json(b.dir, ['sync', 'write', 'balance', '42', '--region', 'eu-west']);
    await refused(b.dir, ['sync', 'write', 'balance', '0', '--region', 'us-east'], 1, /us-east is a read replica in active-passive mode; write to the primary eu-west \[READ_ONLY_REGION\]/);
    expect(await json(b.dir, ['sync', 'status', '--wait', '10s'])).toMatchObject({ converged: true });
    for (const region of ['us-east', 'ap-south']) expect((await json(b.dir, ['sync', 'read', 'balance', '--region', region])).value).toBe(42);
    // Nothing concurrent can happen with one writer: no conflict to list.
    expect((await json(b.dir, ['sync', 'conflicts'])).conflicts).toEqual([]);
  });

  it('the writer follows traffic: after a failover the region serving is the sync primary', async () => {
    await json(b.dir, ['failover', '--to', 'ap-south']);
    expect(await json(b.dir, ['sync', 'status'])).toMatchObject({ mode: 'active-passive', primary: 'ap-south' });
    await json(b.dir, ['sync', 'write', 'balance', '43', '--region', 'ap-south']);
    await refused(b.dir, ['sync', 'write', 'balance', '0', '--region', 'eu-west'], 1, /\[READ_ONLY_REGION\]/);
    expect(await json(b.dir, ['sync', 'status', '--wait', '10s'])).toMatchObject({ converged: true });
    for (const region of ['us-east', 'eu-west']) expect((await json(b.dir, ['sync', 'read', 'balance', '--region', region])).value).toBe(43);
    expect(b.log()).toMatch(/sync: primary eu-west -> ap-south \(all traffic is there after the planned failover\)/);
  });
});

describe('config keys of sync and alerts', () => {
  it('refuses a sync.primary and a webhook event that do not exist, naming file:line:col, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-cliops-config-'));
    try {
      writeFileSync(join(dir, 'p.yaml'), `app: { name: shop }\nprovider: { kind: local }\n${REGIONS}sync:\n  enabled: true\n  primary: mars\n`);
      await refused(dir, ['config', '-c', 'p.yaml'], 2, /p\.yaml:\d+:\d+: sync\.primary: not one of the regions \(us-east, eu-west, ap-south\)/);
      writeFileSync(join(dir, 'a.yaml'), `app: { name: shop }\nprovider: { kind: local }\n${REGIONS}alerts:\n  webhooks:\n    - url: http://127.0.0.1:9/hook\n      events: [failover, region:exploded]\n`);
      await refused(dir, ['config', '-c', 'a.yaml'], 2, /a\.yaml:\d+:\d+: alerts\.webhooks\[0\]\.events\[1\]: must be one of region:unhealthy, .*session:lost/);
      writeFileSync(join(dir, 'ok.yaml'), `app: { name: shop }\nprovider: { kind: local }\n${REGIONS}sync:\n  enabled: true\n  mode: active-passive\nalerts:\n  webhooks:\n    - url: https://hooks.example/ops\n`);
      const ok = await json(dir, ['config', '-c', 'ok.yaml']);
      expect(ok.sync).toMatchObject({ mode: 'active-passive', conflictPolicy: 'latest-wins' });
      expect(ok.alerts).toMatchObject({ timeoutMillis: 5000, maxAttempts: 3, webhooks: [{ url: 'https://hooks.example/ops', format: 'generic' }] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
