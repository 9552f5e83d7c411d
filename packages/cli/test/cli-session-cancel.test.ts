// The built `meridian` binary against a real agent on the local provider: an
// evacuation whose target region hangs (its process stopped with SIGSTOP), then
// cancelled with `meridian cancel`; a migration likewise. The moves in flight roll
// back: every session stays active where it was, counted from the region processes.
import { spawn } from 'node:child_process';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { agentForSuite, baseEnv, cli, endpointsOf, meridian, meridianJson, sessionsHeld, THREE_REGIONS, until } from './cli-harness.js';

const SESSIONS = 4;
// Probes that never call the stopped region unhealthy while the test runs (nothing else acts on their own), and a
// move timeout far past the test: the evacuation stays in flight until it is cancelled.
const CONFIG = `app:
  name: shop
provider:
  kind: local
${THREE_REGIONS}health:
  intervalMillis: 10000
  failuresBeforeUnhealthy: 100
sessions:
  timeoutMillis: 120000
`;

describe('cancelling an evacuation whose target hangs (meridian evacuate --detach, then meridian cancel)', () => {
  let stopped: number | undefined;
  const suite = agentForSuite('meridian-cli-session-cancel-', CONFIG, () => {
    if (stopped !== undefined) process.kill(stopped, 'SIGCONT');
  });

  it('rolls the moves in flight back: every session still active in the region being emptied, none in the target, 0 lost', async () => {
    const ids = Array.from({ length: SESSIONS }, (_, i) => `s${i}`);
    for (const id of ids) await meridianJson(suite.dir, {}, ['sessions', 'add', id, '--region', 'us-east', '--state', JSON.stringify({ cart: [id] })]);
    const status = await meridianJson(suite.dir, {}, ['status']);
    const endpoints = endpointsOf(status);
    for (const r of status.regions) if (r.deploy.pid) suite.pids.add(r.deploy.pid);
    // The target hangs: every call to it waits (the move's timeout is two minutes).
    stopped = status.regions.find((r: any) => r.id === 'eu-west').deploy.pid as number;
    process.kill(stopped, 'SIGSTOP');

    const started = await meridian(suite.dir, {}, ['evacuate', 'us-east', '--to', 'eu-west', '--detach']);
    expect(started.code, started.stderr).toBe(0);
    const id = started.stdout.trim();
    expect(id).toMatch(/^\S+$/);
    await until('the evacuation to be running', async () => (await meridianJson(suite.dir, {}, ['operations'])).find((o: any) => o.id === id && o.state === 'running'));

    const cancelled = await meridian(suite.dir, {}, ['cancel', id]);
    expect(cancelled.code, `${cancelled.stdout}\n${cancelled.stderr}`).toBe(0);
    expect(cancelled.stdout.trim()).toBe(`evacuate ${id} cancelled (0 sessions moved to eu-west, ${SESSIONS} still in us-east)`);
    process.kill(stopped, 'SIGCONT');
    stopped = undefined;
    expect((await meridianJson(suite.dir, {}, ['operations'])).find((o: any) => o.id === id)).toMatchObject({ state: 'cancelled', outcome: `0 sessions moved to eu-west, ${SESSIONS} still in us-east` });

    // Counted from the regions themselves: each session active in us-east only, with its state; nothing in eu-west.
    const { sessions } = await meridianJson(suite.dir, {}, ['sessions']);
    expect(sessions.filter((s: any) => ids.includes(s.id)).map((s: any) => [s.id, s.region, s.state])).toEqual(ids.map((s) => [s, 'us-east', 'active']));
    const usEast = await sessionsHeld(endpoints['us-east']!);
    const euWest = await sessionsHeld(endpoints['eu-west']!);
    for (const s of ids) {
      expect(usEast.filter((h) => h.key === s && h.status === 'active')).toHaveLength(1);
      expect(euWest.filter((h) => h.key === s && h.status === 'active')).toEqual([]);
      const res = await request(`${endpoints['us-east']}/sessions/${s}`);
      expect(((await res.body.json()) as { state: unknown }).state).toEqual({ cart: [s] });
    }
  }, 120_000);

  it('a migration followed by its client and cancelled from another one: rolled back, the client exits 6, the session stays where it was', async () => {
    const status = await meridianJson(suite.dir, {}, ['status']);
    const endpoints = endpointsOf(status);
    stopped = status.regions.find((r: any) => r.id === 'ap-south').deploy.pid as number;
    process.kill(stopped, 'SIGSTOP');
    const child = spawn(process.execPath, [cli, 'migrate', 's0', '--to', 'ap-south'], { cwd: suite.dir, env: baseEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const op = await until('the migration to be running', async () => (await meridianJson(suite.dir, {}, ['operations'])).find((o: any) => o.kind === 'migrate' && o.state === 'running'));
    const cancelled = await meridian(suite.dir, {}, ['cancel', op.id]);
    expect(cancelled.code, `${cancelled.stdout}\n${cancelled.stderr}`).toBe(0);
    expect(cancelled.stdout).toMatch(new RegExp(`^migrate ${op.id} cancelled`));
    process.kill(stopped, 'SIGCONT');
    stopped = undefined;
    expect(await exit, stderr).toBe(6);
    expect(stderr).toMatch(/\[CANCELLED\]/);
    const { sessions } = await meridianJson(suite.dir, {}, ['sessions']);
    expect(sessions.find((x: any) => x.id === 's0')).toMatchObject({ region: 'us-east', state: 'active' });
    expect((await sessionsHeld(endpoints['us-east']!)).filter((h) => h.key === 's0' && h.status === 'active')).toHaveLength(1);
    expect((await sessionsHeld(endpoints['ap-south']!)).filter((h) => h.key === 's0' && h.status === 'active')).toEqual([]);
  }, 120_000);
});
