// The built `meridian` binary against a real agent on the local provider, the agent itself SIGKILLed with live
// sessions in its regions. With `sessions.store: { directory }` (the session registry kept there) and
// `provider.dataDir` (the regions keep their sessions in files), the next agent reads every session back, the
// regions it starts bring theirs back, and each is active again where it was, with its state and epoch: counted from
// the region processes. A session a region lost meanwhile is restored there from its checkpoint, or reported lost by id.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findLeakedProcesses } from '@meridian/testkit';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { baseEnv, cli, ensureBuilt, endpointsOf, meridian, meridianJson, sessionsHeld, startAgent, THREE_REGIONS, until, type AgentProcess } from './cli-harness.js';

const CONFIG = `app:
  name: shop
provider:
  kind: local
  dataDir: ./regions
${THREE_REGIONS}health:
  intervalMillis: 300
  timeoutMillis: 250
sessions:
  store: { directory: ./snapshots }
  checkpointIntervalMillis: 300
`;
const ENV = { MERIDIAN_SNAPSHOT_KEY: 'ab'.repeat(32) };

/** Where a region under `provider.dataDir` (the config's `./regions`) keeps a session, in the agent directory `dir`. */
const regionFile = (dir: string, region: string, id: string) => join(dir, 'regions', region, 'sessions', `${createHash('sha256').update(id).digest('hex')}.json`);

/** A client writes `state` to a session in its region (the region process itself, not the agent). */
async function clientWrite(endpoint: string, id: string, state: unknown): Promise<void> {
  const res = await request(`${endpoint}/sessions/${id}`, { method: 'PUT', body: JSON.stringify(state), headers: { 'content-type': 'application/json' } });
  await res.body.dump();
  expect(res.statusCode).toBeLessThan(300);
}

describe('an agent SIGKILLed with live sessions (sessions.store directory, provider.dataDir)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-cli-restart-'));
  const agents: AgentProcess[] = [];
  const pids = new Set<number>();
  afterAll(async () => {
    for (const agent of agents) if (agent.child.exitCode === null && agent.child.signalCode === null) expect(await agent.stop()).toBe(0);
    expect(await findLeakedProcesses([...agents.flatMap((a) => (a.child.pid ? [a.child.pid] : [])), ...pids])).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('brings every session back, active where it was with its state and epoch; one a region lost meanwhile restored there from its checkpoint, one with no checkpoint reported lost by id: counted from the regions', async () => {
    ensureBuilt();
    writeFileSync(join(dir, 'meridian.config.yaml'), CONFIG);
    const first = await startAgent(dir, ENV);
    agents.push(first);
    const placed: Record<string, string> = { s0: 'us-east', s1: 'us-east', s2: 'us-east', s3: 'eu-west', s4: 'eu-west', s5: 'ap-south' };
    for (const [id, region] of Object.entries(placed)) {
      expect(await meridianJson(dir, ENV, ['sessions', 'add', id, '--region', region, '--state', JSON.stringify({ cart: [id] })])).toMatchObject({ id, region, state: 'active' });
    }
    // One moved before the crash: it comes back in its new region under epoch 1, and its old region holds no copy.
    let run = await meridian(dir, ENV, ['migrate', 's2', '--to', 'ap-south']);
    expect(run.code, run.stderr).toBe(0);
    placed.s2 = 'ap-south';
    const before = await meridianJson(dir, ENV, ['status']);
    for (const r of before.regions) if (r.deploy.pid) pids.add(r.deploy.pid);
    // A client writes to a session in its region after it was registered: the region's file keeps that too.
    await clientWrite(endpointsOf(before)['us-east']!, 's0', { cart: ['s0', 'added later'] });

    // Every session checkpointed (sessions.checkpointIntervalMillis) before the crash.
    const checkpoint = (id: string) => join(dir, 'snapshots', `ckpt.${id}.snapshot`);
    await until('a checkpoint of every session', async () => Object.keys(placed).every((id) => existsSync(checkpoint(id))), 200);

    first.child.kill('SIGKILL');
    await until('the first agent and its regions gone', async () => (await findLeakedProcesses([first.child.pid!, ...pids])).length === 0, 300);
    // While no agent runs, two regions lose a session each (a disk restored from an old backup, say): us-east loses
    // s1, which has a checkpoint; eu-west loses s4, whose checkpoint is gone too (as if none had been taken yet).
    for (const [region, id] of [['us-east', 's1'], ['eu-west', 's4']] as const) {
      expect(existsSync(regionFile(dir, region, id)), `${region}/${id}`).toBe(true);
      rmSync(regionFile(dir, region, id));
    }
    rmSync(checkpoint('s4'));

    const second = await startAgent(dir, ENV);
    agents.push(second);
    expect(second.log()).toMatch(
      /sessions: 6 registered before this start; 4 active again in their regions, 1 restored where they were lost \(s1 in us-east from its checkpoint, \d+ ms stale\), 1 lost \(s4 in eu-west: no-checkpoint\), 0 stale copies discarded, 0 not held/,
    );
    expect(second.log()).toMatch(/sessions: s4 lost in eu-west \(no-checkpoint\): eu-west no longer holds it: it was lost before its first checkpoint/);
    const { sessions, statistics } = await meridianJson(dir, ENV, ['sessions']);
    const expectedStates = Object.fromEntries(Object.entries(placed).map(([id, region]) => [id, [region, id === 's4' ? 'lost' : 'active']]));
    expect(Object.fromEntries(sessions.map((s: any) => [s.id, [s.region, s.state]]))).toEqual(expectedStates);
    expect(sessions.find((s: any) => s.id === 's2').epoch).toBe(1);
    expect(sessions.find((s: any) => s.id === 's1').epoch).toBe(1); // restored in place: the next epoch
    expect(statistics).toMatchObject({ lost: 1, byState: { active: 5, lost: 1 } });
    delete placed.s4; // held nowhere: checked below
    // Counted from the region processes: each session active in exactly one region, the one the agent names.
    const after = await meridianJson(dir, ENV, ['status']);
    for (const r of after.regions) if (r.deploy.pid) pids.add(r.deploy.pid);
    const endpoints = endpointsOf(after);
    const held = Object.fromEntries(await Promise.all(Object.entries(endpoints).map(async ([region, url]) => [region, await sessionsHeld(url)] as const)));
    expect(Object.values(held).flatMap((items) => items.filter((h) => h.key === 's4'))).toEqual([]);
    for (const [id, region] of Object.entries(placed)) {
      const copies = Object.entries(held).flatMap(([r, items]) => items.filter((h) => h.key === id).map((h) => `${r}:${h.status}`));
      expect(copies, id).toEqual([`${region}:active`]);
      const res = await request(`${endpoints[region]}/sessions/${id}`);
      const expected = id === 's0' ? { cart: ['s0', 'added later'] } : { cart: [id] };
      expect(((await res.body.json()) as { state: unknown }).state, id).toEqual(expected);
    }
    // The registry is the snapshot directory's `reg.*` records, plain JSON without a secret in them.
    const records = readdirSync(join(dir, 'snapshots')).filter((name) => name.startsWith('reg.'));
    expect(records.length).toBe(6);
    for (const name of records) {
      const text = readFileSync(join(dir, 'snapshots', name), 'utf8');
      expect(JSON.parse(text)).toMatchObject({ state: name === 'reg.s4.snapshot' ? 'lost' : 'active' });
      expect(text).not.toContain(ENV.MERIDIAN_SNAPSHOT_KEY);
    }
  }, 240_000);

  it('an agent SIGKILLed mid-migration: a session whose source lost its suspended copy is restored there from the migration\'s snapshot, with the state a client wrote (no checkpoint was ever taken); one whose source kept it is active there again, its snapshot removed; nothing lost', async () => {
    const work = mkdtempSync(join(tmpdir(), 'meridian-cli-restart-mid-move-'));
    let stopped: number | undefined;
    try {
      // No checkpoints: the migration's snapshot is the only stored state of the session. The move's timeout is far
      // past the test, so it is still waiting on its target when the agent dies.
      writeFileSync(join(work, 'meridian.config.yaml'), CONFIG.replace('  checkpointIntervalMillis: 300\n', '  timeoutMillis: 120000\n'));
      const first = await startAgent(work, ENV);
      agents.push(first);
      for (const id of ['m1', 'm2']) expect(await meridianJson(work, ENV, ['sessions', 'add', id, '--region', 'us-east', '--state', JSON.stringify({ cart: [id] })])).toMatchObject({ state: 'active' });
      const before = await meridianJson(work, ENV, ['status']);
      const regionPids = before.regions.flatMap((r: any) => (r.deploy.pid ? [r.deploy.pid as number] : []));
      for (const pid of regionPids) pids.add(pid);
      await clientWrite(endpointsOf(before)['us-east']!, 'm1', { cart: ['m1', 'added later'] });
      // The target hangs (its process stopped): the move waits there, after the source suspended the session.
      stopped = before.regions.find((r: any) => r.id === 'ap-south').deploy.pid as number;
      process.kill(stopped, 'SIGSTOP');
      // A client follows each move (m2's source keeps its copy: it is the common case).
      const clients = ['m1', 'm2'].map((id) => {
        const child = spawn(process.execPath, [cli, 'migrate', id, '--to', 'ap-south'], { cwd: work, env: { ...baseEnv, ...ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
        const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
        return { exited, stderr: () => stderr };
      });
      const store = join(work, 'snapshots');
      const named = (id: string) =>
        until(`the move of ${id} to name its snapshot in the session's record, and the snapshot to be stored`, async () => {
          const r = JSON.parse(readFileSync(join(store, `reg.${id}.snapshot`), 'utf8')) as { state: string; pendingSnapshot?: string };
          return r.state === 'migrating' && r.pendingSnapshot && existsSync(join(store, `${r.pendingSnapshot}.snapshot`)) ? r : undefined;
        });
      const record = await named('m1');
      const left = await named('m2');
      expect(readdirSync(store).filter((name) => name.startsWith('ckpt.'))).toEqual([]);

      first.child.kill('SIGKILL');
      process.kill(stopped, 'SIGKILL');
      stopped = undefined;
      await until('the first agent and its regions gone', async () => (await findLeakedProcesses([first.child.pid!, ...regionPids])).length === 0, 300);
      // The clients that followed the moves say they lost the agent, and that the moves may not be over.
      for (const [i, id] of ['m1', 'm2'].entries()) {
        expect(await clients[i]!.exited, clients[i]!.stderr()).toBe(3);
        expect(clients[i]!.stderr()).toMatch(new RegExp(`meridian: lost the agent while POST /v1/sessions/${id}/migrate was running: .*the operation may still be running`));
      }
      // While no agent runs, the source loses its suspended copy.
      const sourceFile = regionFile(work, 'us-east', 'm1');
      expect(existsSync(sourceFile)).toBe(true);
      rmSync(sourceFile);

      const second = await startAgent(work, ENV);
      agents.push(second);
      expect(second.log()).toMatch(/sessions: 2 registered before this start; 1 active again in their regions, 1 restored where they were lost \(m1 in us-east from the snapshot of a migration cut short, \d+ ms stale\), 0 lost, 0 stale copies discarded, 0 not held/);
      // m2's snapshot, which no record names once its copy in us-east is active again, is removed at the start.
      expect(second.log()).toMatch(/sessions: 1 migration snapshots a previous agent left removed\n/);
      expect(existsSync(join(store, `${left.pendingSnapshot}.snapshot`))).toBe(false);
      expect(readdirSync(store).filter((name) => name.startsWith('mig.'))).toEqual([]);
      const { sessions, statistics } = await meridianJson(work, ENV, ['sessions']);
      expect(sessions).toEqual([
        expect.objectContaining({ id: 'm1', region: 'us-east', state: 'active', epoch: 1 }),
        expect.objectContaining({ id: 'm2', region: 'us-east', state: 'active', epoch: 0 }),
      ]);
      expect(statistics).toMatchObject({ lost: 0, byState: { active: 2, lost: 0 } });
      // Counted from the region processes: active in us-east only, with what the client wrote before the move.
      const after = await meridianJson(work, ENV, ['status']);
      for (const r of after.regions) if (r.deploy.pid) pids.add(r.deploy.pid);
      const endpoints = endpointsOf(after);
      for (const id of ['m1', 'm2']) {
        const copies = (await Promise.all(Object.entries(endpoints).map(async ([region, url]) => (await sessionsHeld(url)).filter((h) => h.key === id).map((h) => `${region}:${h.status}`)))).flat();
        expect(copies, id).toEqual(['us-east:active']);
        const res = await request(`${endpoints['us-east']}/sessions/${id}`);
        expect(((await res.body.json()) as { state: unknown }).state, id).toEqual(id === 'm1' ? { cart: ['m1', 'added later'] } : { cart: ['m2'] });
      }
      // The snapshot served its purpose: the record no longer names it, and it is gone from the store.
      for (const id of ['m1', 'm2']) expect(JSON.parse(readFileSync(join(store, `reg.${id}.snapshot`), 'utf8')), id).not.toHaveProperty('pendingSnapshot');
      expect(existsSync(join(store, `${record.pendingSnapshot}.snapshot`))).toBe(false);
      expect(await second.stop()).toBe(0);
    } finally {
      if (stopped !== undefined) process.kill(stopped, 'SIGKILL');
      rmSync(work, { recursive: true, force: true });
    }
  }, 240_000);

  it('refuses a directory session store on the local kind without provider.dataDir, saying why', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'meridian-cli-restart-bad-'));
    try {
      writeFileSync(join(bad, 'meridian.config.yaml'), CONFIG.replace('  dataDir: ./regions\n', ''));
      const run = await meridian(bad, ENV, ['config']);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(/sessions\.store: a directory store keeps the session registry, so a restarted agent knows every session: set provider\.dataDir too/);
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });
});
