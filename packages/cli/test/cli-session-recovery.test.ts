// The built `meridian` binary against a real agent on the local provider: a region
// process SIGKILLed with live sessions in it. The agent's checkpoints
// (sessions.checkpointIntervalMillis) and automatic recovery (sessions.autoEvacuate)
// restore every one of them in another region, counted from the region processes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { agentForSuite, endpointsOf, meridian, meridianJson, sessionsHeld, THREE_REGIONS, until } from './cli-harness.js';

const SESSIONS = 8;
const VICTIM = 'us-east';
const CONFIG = `app:
  name: shop
provider:
  kind: local
${THREE_REGIONS}health:
  intervalMillis: 300
  timeoutMillis: 250
  failuresBeforeUnhealthy: 2
sessions:
  checkpointIntervalMillis: 250
  autoEvacuate:
    fallbackTo: eu-west
`;

describe('a region killed with live sessions in it (meridian agent with checkpoints and autoEvacuate)', () => {
  const suite = agentForSuite('meridian-cli-recovery-', CONFIG);

  it('restores every session of the dead region in the fallback region from its checkpoint: 0 lost, each active in exactly one live region', async () => {
    const ids = Array.from({ length: SESSIONS }, (_, i) => `s${i}`);
    for (const id of ids) {
      const added = await meridianJson(suite.dir, {}, ['sessions', 'add', id, '--region', VICTIM, '--state', JSON.stringify({ cart: [id] })]);
      expect(added).toMatchObject({ id, region: VICTIM, state: 'active' });
    }
    expect(await meridianJson(suite.dir, {}, ['sessions', 'add', 'elsewhere', '--region', 'ap-south', '--state', '{"cart":[]}'])).toMatchObject({ region: 'ap-south' });
    const status = await meridianJson(suite.dir, {}, ['status']);
    const endpoints = endpointsOf(status);
    for (const r of status.regions) if (r.deploy.pid) suite.pids.add(r.deploy.pid);
    // Every session checkpointed at least once (the agent counts what it wrote), then the region dies hard.
    const { url } = JSON.parse(readFileSync(join(suite.dir, '.meridian', 'agent.json'), 'utf8')) as { url: string };
    await until('a checkpoint of every session', async () => {
      const text = await (await request(`${url}/metrics`)).body.text();
      const written = /meridian_checkpoints_total\{result="written"\} (\d+)/.exec(text);
      return written !== null && Number(written[1]) >= SESSIONS + 1;
    });
    process.kill(status.regions.find((r: any) => r.id === VICTIM).deploy.pid, 'SIGKILL');

    const after = await until('every session of us-east active elsewhere', async () => {
      const { sessions } = await meridianJson(suite.dir, {}, ['sessions']);
      const moved = sessions.filter((s: any) => ids.includes(s.id));
      return moved.length === SESSIONS && moved.every((s: any) => s.region === 'eu-west' && s.state === 'active') ? sessions : undefined;
    }, 300);
    expect(after.find((s: any) => s.id === 'elsewhere')).toMatchObject({ region: 'ap-south', state: 'active' });
    // Counted from the regions themselves: each session active in exactly one live region, with the state it had.
    const euWest = await sessionsHeld(endpoints['eu-west']!);
    const apSouth = await sessionsHeld(endpoints['ap-south']!);
    for (const id of ids) {
      expect([...euWest, ...apSouth].filter((h) => h.key === id && h.status === 'active').map(() => id)).toEqual([id]);
      const res = await request(`${endpoints['eu-west']}/sessions/${id}`);
      expect(((await res.body.json()) as { state: unknown }).state).toEqual({ cart: [id] });
    }
    const log = await until('the recovery in the agent log', async () => /sessions: us-east recovered: (\d+) restored elsewhere, (\d+) lost, (\d+) failed/.exec(suite.agent.log()) ?? undefined);
    expect(log.slice(1).map(Number)).toEqual([SESSIONS, 0, 0]);
    const { statistics } = await meridianJson(suite.dir, {}, ['sessions']);
    expect(statistics).toMatchObject({ recovered: SESSIONS, lost: 0 });
  }, 180_000);

  it('refuses autoEvacuate recovery without checkpoints, or without a target, naming the field', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'meridian-cli-recovery-bad-'));
    try {
      writeFileSync(join(bad, 'meridian.config.yaml'), CONFIG.replace('  checkpointIntervalMillis: 250\n', ''));
      let run = await meridian(bad, {}, ['config']);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(/sessions\.autoEvacuate\.onUnhealthy: recover restores sessions from their checkpoints: set sessions\.checkpointIntervalMillis too/);
      writeFileSync(join(bad, 'meridian.config.yaml'), CONFIG.replace('    fallbackTo: eu-west\n', '    onDegraded: ignore\n'));
      run = await meridian(bad, {}, ['config']);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(/sessions\.autoEvacuate: recover needs a target for the sessions of a dead region: set fallbackTo, or a geo database/);
      writeFileSync(join(bad, 'meridian.config.yaml'), CONFIG.replace('fallbackTo: eu-west', 'fallbackTo: mars'));
      run = await meridian(bad, {}, ['config']);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(/sessions\.autoEvacuate\.fallbackTo: not one of the regions \(us-east, eu-west, ap-south\)/);
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });
});
