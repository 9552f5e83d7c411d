// The built `meridian` binary as users run it: a real `meridian agent` on the local
// provider in a temp directory, and every client command as a subprocess, with
// `--json` output parsed and checked.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findLeakedProcesses, getFreePort } from '@meridian/testkit';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, ensureBuilt } from './cli-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'meridian-cli-'));
const seenPids = new Set<number>();
// The environment of every run: no colours, and none of the caller's agent settings.
const { MERIDIAN_ADMIN_TOKEN: _t, MERIDIAN_AGENT_URL: _u, ...cleanEnv } = process.env;
const baseEnv = { ...cleanEnv, NO_COLOR: '1' };
let agent: ChildProcess;
let agentLog = '';
let agentExit: Promise<number | null>;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `meridian ...args` in the temp directory (or `cwd`). */
function meridian(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cli, ...args],
      { cwd: options.cwd ?? dir, env: { ...baseEnv, ...options.env }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Runs a command that must succeed and returns its parsed `--json` output. */
async function json<T = any>(args: string[]): Promise<T> {
  const run = await meridian([...args, '--json']);
  expect(run.code, `meridian ${args.join(' ')} failed:\n${run.stderr}`).toBe(0);
  return JSON.parse(run.stdout) as T;
}

async function status(): Promise<any> {
  const s = await json(['status']);
  for (const r of s.regions) if (r.deploy.pid) seenPids.add(r.deploy.pid);
  return s;
}


const weightsOf = (s: any): Record<string, number> => Object.fromEntries(s.regions.map((r: any) => [r.id, r.weight]));
const agentFile = (): { url: string; token: string; pid: number } => JSON.parse(readFileSync(join(dir, '.meridian', 'agent.json'), 'utf8'));

function config(port: number): string {
  return `# written by cli.test.ts
app:
  name: shop
  env: { LOG_LEVEL: info }
provider:
  kind: local
regions:
  - id: us-east
    name: Virginia
    location: { lat: 37.5, lon: -77.5 }
    price: { hourly: 0.12, currency: USD }
    timezone: America/New_York
    locale: en-US
    size: small
    dataPath: data/us
  - id: eu-west
    location: { lat: 53.3, lon: -6.2 }
    price: { hourly: 0.10, currency: USD }
    timezone: Europe/Dublin
    dataPath: data/eu
  - id: ap-south
    location: { lat: 1.3, lon: 103.8 }
    price: { hourly: 0.20, currency: USD }
    replicas: 2
health:
  intervalMillis: 300
  timeoutMillis: 200
failover:
  failback: { holdDownMillis: 60000 }
sync:
  enabled: true
  intervalMillis: 100
agent:
  port: ${port}
`;
}

beforeAll(async () => {
  // The acceptance runs the built binary; the root `npm test` builds everything first.
  ensureBuilt();
  writeFileSync(join(dir, 'meridian.config.yaml'), config(await getFreePort()));
  mkdirSync(join(dir, 'data', 'us', 'reports'), { recursive: true });
  mkdirSync(join(dir, 'data', 'eu'), { recursive: true });
  writeFileSync(join(dir, 'data', 'us', 'reports', 'q1.csv'), 'a,b\n1,2\n');
  agent = spawn(process.execPath, [cli, 'agent'], { cwd: dir, env: baseEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  agentExit = new Promise((resolve) => agent.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    agent.stderr!.on('data', (chunk: Buffer) => {
      agentLog += chunk.toString();
      if (agentLog.includes(' ready in ')) resolve();
    });
    void agentExit.then((code) => reject(new Error(`agent exited ${code} before it was ready:\n${agentLog}`)));
  });
}, 120_000);

afterAll(async () => {
  if (agent && agent.exitCode === null) {
    agent.kill('SIGTERM');
    expect(await agentExit).toBe(0);
    // Cleaned up: its file gone, no region process (and not the agent) left running.
    expect(existsSync(join(dir, '.meridian', 'agent.json'))).toBe(false);
    expect(await findLeakedProcesses([agent.pid!, ...seenPids])).toEqual([]);
    expect(agentLog).toMatch(/SIGTERM: shutting down[\s\S]*stopped: every region process has exited/);
    if (tokenSeen) expect(agentLog).not.toContain(tokenSeen);
  }
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

let tokenSeen: string | undefined;

describe('meridian (built binary) against a running agent on the local provider', () => {
  it('writes .meridian/agent.json, mode 0600, with the URL, pid and a token it never logs', () => {
    const file = agentFile();
    tokenSeen = file.token;
    expect(file.pid).toBe(agent.pid);
    expect(file.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(file.token.length).toBeGreaterThanOrEqual(32);
    expect(statSync(join(dir, '.meridian', 'agent.json')).mode & 0o777).toBe(0o600);
    expect(agentLog).not.toContain(file.token);
  });

  it('status: every region deployed and healthy, with its config, price, sync lag and weight', async () => {
    const s = await status();
    expect(s.app.name).toBe('shop');
    expect(s.frontDoor).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(s.regions.map((r: any) => [r.id, r.health, r.deploy.status, r.deploy.state])).toEqual([
      ['us-east', 'healthy', 'completed', 'running'],
      ['eu-west', 'healthy', 'completed', 'running'],
      ['ap-south', 'healthy', 'completed', 'running'],
    ]);
    expect(weightsOf(s)).toEqual({ 'us-east': 100, 'eu-west': 0, 'ap-south': 0 }); // active-passive, home us-east
    expect(s.regions[0].config).toMatchObject({ size: 'small', replicas: 1, timezone: 'America/New_York', locale: 'en-US' });
    expect(s.regions[0].config.env).toEqual(expect.arrayContaining(['LOG_LEVEL', 'REGION', 'TZ', 'LOCALE']));
    expect(s.regions[2].config.replicas).toBe(2);
    expect(s.regions[1].price).toEqual({ hourly: 0.1, currency: 'USD' });
    expect(s.regions.every((r: any) => r.sync.lagMillis >= 0 && typeof r.latencyMillis === 'number')).toBe(true);
    const human = await meridian(['status']);
    expect(human.stdout).toMatch(/REGION +HEALTH +LATENCY +WEIGHT +DEPLOY/);
    expect(human.stdout).toMatch(/us-east +healthy/);
    expect(human.stdout).not.toContain('\x1b['); // no colours when not a terminal
  });

  it('status --watch refreshes a bounded number of times', async () => {
    const run = await meridian(['status', '--watch', '--interval', '0.1', '--count', '3', '--json']);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => l.regions.length === 3)).toBe(true);
  });

  it('health: every region healthy, with probes', async () => {
    const h = await json(['health']);
    expect(h.regions.map((r: any) => r.state)).toEqual(['healthy', 'healthy', 'healthy']);
    expect(h.regions.every((r: any) => r.probes > 0 && r.lastProbe.ok)).toBe(true);
  });

  it('the admin API refuses requests without the token, or with a wrong one (401), and serves /metrics openly', async () => {
    const { url, token } = agentFile();
    for (const headers of [{}, { authorization: 'Bearer not-the-token' }, { authorization: token }]) {
      const res = await request(`${url}/v1/status`, { headers });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(((await res.body.json()) as any).error.code).toBe('UNAUTHORIZED');
    }
    const post = await request(`${url}/v1/failover`, { method: 'POST', body: JSON.stringify({ to: 'eu-west' }) });
    expect(post.statusCode).toBe(401);
    await post.body.dump();
    const ok = await request(`${url}/v1/status`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.statusCode).toBe(200);
    await ok.body.dump();
    const wrong = await meridian(['status'], { env: { MERIDIAN_ADMIN_TOKEN: 'a-wrong-token-of-some-length' } });
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toMatch(/wrong bearer token/);
    const metrics = await request(`${url}/metrics`);
    expect(metrics.statusCode).toBe(200);
    const text = await metrics.body.text();
    for (const name of [
      'meridian_region_health',
      'meridian_probe_duration_seconds',
      'meridian_failovers_total',
      'meridian_traffic_weight',
      'meridian_deploys_total',
      'meridian_sync_lag_seconds',
      'meridian_sync_bytes_total',
      'meridian_conflicts_total',
      'meridian_sessions',
      'meridian_migrations_total',
      'meridian_migration_duration_seconds',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(text).toContain('meridian_region_health{region="eu-west"} 1');
    expect(text).toContain('meridian_deploys_total{outcome="completed"} 1');
  });

  it('deploy: live progress per region on stderr, a report with the speedup on stdout', async () => {
    const run = await meridian(['deploy', '--regions', 'us-east,eu-west,ap-south', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.outcome).toBe('completed');
    expect(report.regions.map((r: any) => r.status)).toEqual(['completed', 'completed', 'completed']);
    expect(report.speedup).toBeGreaterThan(1); // parallel: the wall time is shorter than the sum
    expect(report.serialMillis).toBeGreaterThan(report.durationMillis);
    expect(report.weights).toBeUndefined(); // no --strategy: the failover manager's weights stay
    for (const region of ['us-east', 'eu-west', 'ap-south']) {
      expect(run.stderr).toMatch(new RegExp(`${region} +spawn started`));
      expect(run.stderr).toMatch(new RegExp(`${region} +done in \\d+ ms`));
    }
    const human = await meridian(['deploy', '--regions', 'eu-west']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/completed: 1\/1 regions in .*x speedup/);
    await status(); // new pids, for the leak check
  });

  it('deploy --auto places by users, price and spread', async () => {
    const report = await json(['deploy', '--auto', '--count', '2', '--near', '50.1,8.7', '--near', '40.7,-74.0', '--max-cost', '0.15']);
    expect(report.regions.map((r: any) => r.regionId).sort()).toEqual(['eu-west', 'us-east']); // ap-south is over 0.15/h
    expect(report.outcome).toBe('completed');
    await status();
  });

  it('an unknown region gives exit 5 and a message naming the known regions', async () => {
    for (const args of [['failover', '--to', 'mars'], ['deploy', '--regions', 'us-east,mars'], ['drill', '--to', 'mars', '--duration', '1s'], ['evacuate', 'mars'], ['sync', 'write', 'k', '1', '--region', 'mars']]) {
      const run = await meridian(args);
      expect(run.code, args.join(' ')).toBe(5);
      expect(run.stderr).toContain('Unknown region "mars"; known regions: us-east, eu-west, ap-south');
    }
  });

  it('failover --dry-run changes nothing; failover moves the weights; failback brings them back', async () => {
    const before = weightsOf(await status());
    const dry = await json(['failover', '--to', 'eu-west', '--dry-run']);
    expect(dry.plan).toMatchObject({ to: 'eu-west', wouldSucceed: true, weightsAfter: { 'us-east': 0, 'eu-west': 100, 'ap-south': 0 } });
    expect(weightsOf(await status())).toEqual(before);

    const moved = await json(['failover', '--to', 'eu-west']);
    expect(moved).toMatchObject({ kind: 'planned', to: 'eu-west', outcome: 'completed' });
    expect(weightsOf(await status())).toEqual({ 'us-east': 0, 'eu-west': 100, 'ap-south': 0 });

    const back = await json(['failback']);
    expect(back).toMatchObject({ kind: 'failback', to: 'us-east', outcome: 'completed' });
    expect(weightsOf(await status())).toEqual(before);
  });

  it('drill fails over for real and rolls back on its own', async () => {
    const before = weightsOf(await status());
    const run = await meridian(['drill', '--to', 'ap-south', '--duration', '500ms', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const drill = JSON.parse(run.stdout);
    expect(drill).toMatchObject({ kind: 'drill', to: 'ap-south', outcome: 'completed', targetServed: true, rolledBack: true });
    expect(drill.heldMillis).toBeGreaterThanOrEqual(450);
    expect(drill.weightsAfter).toEqual(before);
    expect(run.stderr).toMatch(/hold +completed/);
    expect(weightsOf(await status())).toEqual(before);
  });

  it('migrate and evacuate move live sessions between region processes', async () => {
    for (const [id, region] of [['s1', 'us-east'], ['s2', 'eu-west'], ['s3', 'eu-west']]) {
      const added = await json(['sessions', 'add', id!, '--region', region!, '--state', `{"cart":["${id}"]}`]);
      expect(added).toMatchObject({ id, region, state: 'active' });
    }
    const moved = await json(['migrate', 's1', '--to', 'eu-west']);
    expect(moved).toMatchObject({ sessionId: 's1', from: 'us-east', to: 'eu-west' });
    const evacuated = await json(['evacuate', 'eu-west']);
    expect(evacuated.from).toBe('eu-west');
    expect(evacuated.to).toBe('us-east'); // the healthy region nearest Ireland
    expect(evacuated.migrated.map((m: any) => m.sessionId).sort()).toEqual(['s1', 's2', 's3']);
    expect(evacuated.failed).toEqual([]);
    const { sessions, statistics } = await json(['sessions']);
    expect(statistics.byRegion).toEqual({ 'us-east': 3, 'eu-west': 0, 'ap-south': 0 });
    expect(sessions.map((s: any) => [s.id, s.region, s.state])).toEqual([
      ['s1', 'us-east', 'active'],
      ['s2', 'us-east', 'active'],
      ['s3', 'us-east', 'active'],
    ]);
    expect((await status()).regions.map((r: any) => r.sessions)).toEqual([3, 0, 0]);
    const unknown = await meridian(['migrate', 'nope', '--to', 'eu-west']);
    expect(unknown.code).toBe(5);
    expect(unknown.stderr).toMatch(/No registered session "nope"/);
  });

  it('sync status shows lag 0 everywhere after writes', async () => {
    for (const [i, region] of ['us-east', 'eu-west', 'ap-south'].entries()) {
      const ack = await json(['sync', 'write', `order:${i}`, `{"n":${i}}`, '--region', region]);
      expect(ack).toMatchObject({ key: `order:${i}`, regionId: region });
    }
    const sync = await json(['sync', 'status', '--wait', '10s']);
    expect(sync.converged).toBe(true);
    expect(sync.regions.map((r: any) => [r.regionId, r.lagMillis, r.pendingChanges, r.reachable])).toEqual([
      ['us-east', 0, 0, true],
      ['eu-west', 0, 0, true],
      ['ap-south', 0, 0, true],
    ]);
    // The data directories (us-east and eu-west have a dataPath): in step, the file in place, nothing left unwritten.
    expect(sync.directory.regions.map((r: any) => [r.regionId, r.dataPath.endsWith(join('data', r.regionId === 'us-east' ? 'us' : 'eu')), r.lagMillis, r.waiting])).toEqual([
      ['us-east', true, 0, 0],
      ['eu-west', true, 0, 0],
    ]);
    expect(readFileSync(join(dir, 'data', 'eu', 'reports', 'q1.csv'), 'utf8')).toBe('a,b\n1,2\n');
    const human = await meridian(['sync', 'status']);
    expect(human.stdout).toMatch(/data directories: conflicts 0/);
    expect(human.stdout).toMatch(/eu-west\s+\S+data\/eu\s+0 ms\s+0\s+0/);
    expect(await json(['sync', 'read', 'order:0', '--region', 'ap-south'])).toMatchObject({ found: true, value: { n: 0 } });
  });

  it('costs: per-region declared price and total; --optimize keeps the count and is not dearer', async () => {
    const costs = await json(['costs']);
    expect(costs.regions.map((r: any) => [r.regionId, r.hourly, r.deployed])).toEqual([
      ['us-east', 0.12, true],
      ['eu-west', 0.1, true],
      ['ap-south', 0.2, true],
    ]);
    expect(costs.totals).toEqual({ USD: 0.42 });
    const optimized = await json(['costs', '--optimize', '--count', '2']);
    expect(optimized.optimize.suggested).toHaveLength(2);
    expect(optimized.optimize.suggestedHourly).toBeLessThan(optimized.optimize.currentHourly);
    expect(optimized.optimize.placement.picks.every((p: any) => p.reasons.length > 0)).toBe(true);
    const human = await meridian(['costs', '--optimize']);
    expect(human.stdout).toMatch(/total of deployed regions: 0\.42 USD\/h/);
    expect(human.stdout).toMatch(/optimize \(3 regions\)/);
  });

  it('counts what happened in /metrics', async () => {
    const text = await (await request(`${agentFile().url}/metrics`)).body.text();
    expect(text).toContain('meridian_failovers_total{kind="planned",outcome="completed"} 1');
    expect(text).toContain('meridian_failovers_total{kind="drill",outcome="completed"} 1');
    expect(text).toMatch(/meridian_migrations_total\{result="completed"\} 4/);
    expect(text).toContain('meridian_sessions{region="us-east"} 3');
  });

  it('a second agent in the same directory is refused', async () => {
    const run = await meridian(['agent']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/an agent is already running .*pid \d+/);
  });
});

describe('meridian without an agent', () => {
  it('a bad config file: exit 2 and a message naming file:line:col and the path, before anything starts', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'meridian-bad-'));
    try {
      writeFileSync(join(bad, 'meridian.config.yaml'), config(0).replace('lat: 53.3', 'lat: 123'));
      const run = await meridian(['agent'], { cwd: bad });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('meridian: meridian.config.yaml:17:17: regions[1].location.lat: must be <= 90 (got 123)');
      expect(existsSync(join(bad, '.meridian'))).toBe(false);
      writeFileSync(join(bad, 'broken.yaml'), 'app:\n  name: shop\n  env: [\n');
      const syntax = await meridian(['config', '--config', 'broken.yaml'], { cwd: bad });
      expect(syntax.code).toBe(2);
      expect(syntax.stderr).toMatch(/^meridian: broken\.yaml:\d+:\d+: invalid YAML: /);
      writeFileSync(join(bad, 'broken.json'), '{\n  "app": { "name": "shop", }\n}\n');
      const json = await meridian(['config', '--config', 'broken.json'], { cwd: bad });
      expect(json.code).toBe(2);
      expect(json.stderr).toContain('broken.json:2:28: invalid JSON: expected a double-quoted property name, found "}"');
      // A YAML alias bomb is a config error too (exit 2, naming the file), not a crash (exit 1).
      const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(', ')}]`)];
      writeFileSync(join(bad, 'bomb.yaml'), `${bomb.join('\n')}\n`);
      const exploded = await meridian(['config', '--config', 'bomb.yaml'], { cwd: bad });
      expect(exploded.code).toBe(2);
      expect(exploded.stderr).toMatch(/^meridian: bomb\.yaml:2:8: invalid YAML: too many alias expansions/);
      // A UTF-8 byte order mark (Windows editors) is read past, in JSON as in YAML.
      writeFileSync(join(bad, 'bom.json'), `\ufeff${JSON.stringify({ app: { name: 'shop' }, provider: { kind: 'local' }, regions: [{ id: 'a', location: { lat: 1, lon: 2 } }] })}`);
      const bom = await meridian(['config', '--config', 'bom.json', '--json'], { cwd: bad });
      expect(bom.code, bom.stderr).toBe(0);
      expect(JSON.parse(bom.stdout)).toMatchObject({ app: { name: 'shop' } });
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });

  it('no agent here: exit 3 with a hint', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'meridian-empty-'));
    try {
      const run = await meridian(['status'], { cwd: empty });
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(/no agent found: .*meridian agent/);
      const down = await meridian(['health'], { cwd: empty, env: { MERIDIAN_AGENT_URL: `http://127.0.0.1:${await getFreePort()}`, MERIDIAN_ADMIN_TOKEN: 'x'.repeat(20) } });
      expect(down.code).toBe(3);
      expect(down.stderr).toMatch(/cannot reach the agent at .*ECONNREFUSED/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('usage errors exit 2', async () => {
    for (const args of [['bogus'], ['failover'], ['drill', '--to', 'us-east', '--duration', '5 minutes'], ['deploy', '--auto'], ['status', '--count', 'zero'], ['deploy', '--strategy', 'sideways']]) {
      expect((await meridian(args)).code, args.join(' ')).toBe(2);
    }
  });

  it('--help works for every command', async () => {
    const commands = ['', 'agent', 'config', 'status', 'health', 'deploy', 'failover', 'failback', 'drill', 'migrate', 'evacuate', 'sessions', 'sessions list', 'sessions add', 'sync', 'sync status', 'sync write', 'sync read', 'costs'];
    const runs = await Promise.all(commands.map((c) => meridian([...c.split(' ').filter(Boolean), '--help'])));
    for (const [i, run] of runs.entries()) {
      expect(run.code, commands[i]).toBe(0);
      expect(run.stdout).toContain(`Usage: meridian${commands[i] ? ` ${commands[i]}` : ''}`);
    }
    expect(runs[0]!.stdout).toMatch(/Exit codes:[\s\S]*5 +not found/);
  });
});
