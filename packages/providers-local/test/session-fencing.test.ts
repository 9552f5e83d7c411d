// Fencing epochs and opt-in persistence of the local regions' sessions, with
// real region processes: a stale copy never serves again, a client write never
// revives a suspended copy, and a region SIGKILLed mid-writes comes back with
// every acknowledged write, each session suspended until the control plane
// activates it again.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MeridianError, type SessionAdapter, type SessionRef } from '@meridian/core';
import { createLocalProvider, createLocalSessionAdapter, type LocalProvider } from '@meridian/providers-local';
import { findLeakedProcesses, meridianErrorOf } from '@meridian/testkit';
import { Agent, request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

const allPids = new Set<number>();
const tempDirs: string[] = [];
let provider: LocalProvider | undefined;

const REGIONS = [
  { id: 'us-east', location: { lat: 37.5, lon: -77.5 } },
  { id: 'eu-west', location: { lat: 53.3, lon: -6.2 } },
];

async function deploy(dataDir?: string): Promise<{ p: LocalProvider; adapter: SessionAdapter }> {
  provider = createLocalProvider({ regions: REGIONS, ...(dataDir ? { dataDir } : {}) });
  const result = await provider.deploy({ name: 'fencing', regions: [] });
  expect(result.regions.map((r) => r.state)).toEqual(['running', 'running']);
  trackPids(provider);
  return { p: provider, adapter: createLocalSessionAdapter(provider) };
}

function trackPids(p: LocalProvider): void {
  for (const pid of p.pids()) allPids.add(pid);
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-local-fencing-'));
  tempDirs.push(dir);
  return dir;
}

const endpoint = (p: LocalProvider, region: string) => p.regions().find((r) => r.id === region)!.endpoint;
const ref = (id: string, region = 'us-east'): SessionRef => ({ id, region, metadata: {} });
const call = () => ({ signal: AbortSignal.timeout(5_000) });

async function http(url: string, method: 'GET' | 'PUT' | 'POST' | 'DELETE' = 'GET', body?: unknown): Promise<{ status: number; body: any }> {
  const res = await request(url, { method, signal: AbortSignal.timeout(5_000), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
}

/** A client's write: a plain PUT. */
const write = (p: LocalProvider, id: string, state: unknown, region = 'us-east') => http(`${endpoint(p, region)}/sessions/${id}`, 'PUT', state);
const read = (p: LocalProvider, id: string, region = 'us-east') => http(`${endpoint(p, region)}/sessions/${id}`);

async function rejection(promise: Promise<unknown>): Promise<MeridianError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!MeridianError.isInstance(error)) throw new Error(`expected a MeridianError, got ${String(error)}`);
  return error;
}

afterEach(async () => {
  await provider?.close();
  provider = undefined;
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

afterAll(async () => {
  expect(await findLeakedProcesses([...allPids])).toEqual([]);
});

describe('fencing epochs in a region', () => {
  it('restores and activates under an epoch, and refuses a lower one with SESSION_FENCED and its details', async () => {
    const { p, adapter } = await deploy();
    await adapter.restore(ref('s1'), 'eu-west', { cart: ['book'] }, { ...call(), epoch: 3 });
    expect((await read(p, 's1', 'eu-west')).body).toMatchObject({ state: { cart: ['book'] }, status: 'suspended', epoch: 3 });

    const stale = await rejection(adapter.activate(ref('s1'), 'eu-west', { ...call(), epoch: 2 }));
    expect(stale.code).toBe('SESSION_FENCED');
    expect(stale.details).toEqual({ sessionId: 's1', regionId: 'eu-west', epoch: 2, currentEpoch: 3 });
    expect((await read(p, 's1', 'eu-west')).body.status).toBe('suspended');

    await adapter.activate(ref('s1'), 'eu-west', { ...call(), epoch: 3 });
    expect((await read(p, 's1', 'eu-west')).body).toMatchObject({ status: 'active', epoch: 3 });
    // A higher epoch takes over the copy.
    await adapter.activate(ref('s1'), 'eu-west', { ...call(), epoch: 5 });
    expect((await read(p, 's1', 'eu-west')).body).toMatchObject({ status: 'active', epoch: 5 });

    // A restore under a lower epoch than the copy held is refused, and the copy is untouched.
    const staleRestore = await rejection(adapter.restore(ref('s1'), 'eu-west', { cart: [] }, { ...call(), epoch: 4 }));
    expect(staleRestore).toMatchObject({ code: 'SESSION_FENCED', details: { sessionId: 's1', regionId: 'eu-west', epoch: 4, currentEpoch: 5 } });
    expect((await read(p, 's1', 'eu-west')).body).toMatchObject({ state: { cart: ['book'] }, status: 'active', epoch: 5 });
    // An equal one is a retried restore: accepted.
    await adapter.restore(ref('s1'), 'eu-west', { cart: ['pen'] }, { ...call(), epoch: 5 });
    expect((await read(p, 's1', 'eu-west')).body).toMatchObject({ state: { cart: ['pen'] }, status: 'suspended', epoch: 5 });

    expect(await adapter.list!('eu-west', call())).toEqual([{ id: 's1', status: 'suspended', epoch: 5 }]);
    expect(await adapter.list!('us-east', call())).toEqual([]);
  });

  it('carries a state as JSON text both ways (snapshotJson, restoreJson), fenced like restore; a spread copy leaves them behind', async () => {
    const { p, adapter } = await deploy();
    await write(p, 'text', { cart: ['book'], note: 'é ✓' });
    const json = await adapter.snapshotJson!(ref('text'), call());
    expect(JSON.parse(json)).toEqual({ cart: ['book'], note: 'é ✓' });
    await adapter.restoreJson!(ref('text'), 'eu-west', json, { ...call(), epoch: 2 });
    expect((await read(p, 'text', 'eu-west')).body).toMatchObject({ state: { cart: ['book'], note: 'é ✓' }, status: 'suspended', epoch: 2 });
    const stale = await rejection(adapter.restoreJson!(ref('text'), 'eu-west', '{}', { ...call(), epoch: 1 }));
    expect(stale).toMatchObject({ code: 'SESSION_FENCED', details: { epoch: 1, currentEpoch: 2 } });
    expect((await rejection(adapter.snapshotJson!(ref('missing'), call()))).code).toBe('SESSION_NOT_FOUND');
    expect((await rejection(adapter.restoreJson!(ref('text'), 'eu-west', 'not json', { ...call(), epoch: 3 }))).code).toBe('REGION_UNAVAILABLE');
    // A wrapper made with spread overrides snapshot or restore: the text calls must not go around it.
    expect({ ...adapter }).not.toHaveProperty('snapshotJson');
    expect({ ...adapter }).not.toHaveProperty('restoreJson');
  });

  it('keeps calls without an epoch working as before', async () => {
    const { p, adapter } = await deploy();
    expect((await write(p, 'plain', { n: 1 })).body).toMatchObject({ status: 'active', epoch: 0 });
    await adapter.suspend(ref('plain'), 'us-east', call());
    await adapter.activate(ref('plain'), 'us-east', call());
    expect((await read(p, 'plain')).body).toMatchObject({ status: 'active', epoch: 0 });
    // A restore without an epoch keeps the epoch the copy had, so it does not undo fencing.
    await adapter.restore(ref('s2'), 'us-east', { n: 1 }, { ...call(), epoch: 7 });
    await adapter.restore(ref('s2'), 'us-east', { n: 2 }, call());
    expect((await read(p, 's2')).body).toMatchObject({ state: { n: 2 }, status: 'suspended', epoch: 7 });
    await adapter.activate(ref('s2'), 'us-east', call());
    expect((await read(p, 's2')).body).toMatchObject({ status: 'active', epoch: 7 });
  });

  it('never lets a client write revive a suspended copy', async () => {
    const { p, adapter } = await deploy();
    // A missing session is created active under epoch 0 (how apps create sessions).
    const created = await write(p, 'c1', { step: 1 });
    expect(created).toMatchObject({ status: 200, body: { key: 'c1', status: 'active', epoch: 0 } });
    const updated = await write(p, 'c1', { step: 2 });
    expect(updated.body.version).toBeGreaterThan(created.body.version);

    await adapter.suspend(ref('c1'), 'us-east', call());
    const before = (await read(p, 'c1')).body;
    const refused = await write(p, 'c1', { step: 3 });
    expect(refused).toMatchObject({ status: 409, body: { code: 'SESSION_SUSPENDED', key: 'c1' } });
    // Untouched: same state, status, epoch and version.
    expect((await read(p, 'c1')).body).toEqual(before);
    expect(before).toMatchObject({ state: { step: 2 }, status: 'suspended', epoch: 0 });

    // An active copy restored under an epoch keeps it through client writes.
    await adapter.restore(ref('c2'), 'us-east', { step: 1 }, { ...call(), epoch: 4 });
    expect((await write(p, 'c2', { step: 9 })).status).toBe(409);
    await adapter.activate(ref('c2'), 'us-east', { ...call(), epoch: 4 });
    expect((await write(p, 'c2', { step: 2 })).body).toMatchObject({ status: 'active', epoch: 4 });
    expect((await read(p, 'c2')).body).toMatchObject({ state: { step: 2 }, status: 'active', epoch: 4 });
  });

  it('refuses malformed epochs, in the adapter before sending and in the region', async () => {
    const { p, adapter } = await deploy();
    for (const epoch of [-1, 1.5, Number.NaN]) {
      const error = await rejection(adapter.activate(ref('x'), 'us-east', { ...call(), epoch }));
      expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'epoch' } });
    }
    expect((await read(p, 'x')).status).toBe(404);
    const base = `${endpoint(p, 'us-east')}/sessions/x`;
    expect((await http(`${base}?status=suspended&epoch=-1`, 'PUT', {})).status).toBe(400);
    expect((await http(`${base}?status=paused`, 'PUT', {})).status).toBe(400);
    // An epoch belongs to a restore or an activation, not to a client write.
    expect((await http(`${base}?epoch=1`, 'PUT', {})).status).toBe(400);
    expect((await read(p, 'x')).status).toBe(404);
  });

  it('lists nothing from a region that is down: REGION_UNAVAILABLE', async () => {
    const { p, adapter } = await deploy();
    await p.kill('eu-west');
    const error = await rejection(adapter.list!('eu-west', call()));
    expect(error).toMatchObject({ code: 'REGION_UNAVAILABLE', details: { regionId: 'eu-west' } });
  });

  it('keeps sessions in memory only without dataDir: a restarted region is empty', async () => {
    const { p, adapter } = await deploy();
    await write(p, 'm1', { a: 1 });
    await p.kill('us-east');
    await p.restart('us-east');
    trackPids(p);
    expect(await adapter.list!('us-east', call())).toEqual([]);
  });
});

describe('sessions persisted in dataDir', () => {
  it('refuses an empty dataDir with INVALID_CONFIG naming it', () => {
    const error = meridianErrorOf(() => createLocalProvider({ regions: REGIONS, dataDir: '' }));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain('dataDir');
  });

  it('fails the deploy of a region whose session directory cannot be created', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'not-a-dir'), 'x');
    provider = createLocalProvider({ regions: REGIONS.slice(0, 1), dataDir: join(dir, 'not-a-dir') });
    const result = await provider.deploy({ name: 'x', regions: [] });
    expect(result.regions[0]).toMatchObject({ state: 'failed', error: expect.stringContaining('cannot create its session directory') });
  });

  it('brings every session of a SIGKILLed region back suspended, with its last acknowledged write, until activated under its epoch', async () => {
    const dataDir = tempDir();
    const { p, adapter } = await deploy(dataDir);
    const ids = Array.from({ length: 20 }, (_, i) => `u${i}`);
    // Half the sessions live under an epoch, as restored copies activated by the control plane.
    for (const [i, id] of ids.entries()) {
      if (i % 2 === 0) {
        await adapter.restore(ref(id), 'us-east', { id, n: 0 }, { ...call(), epoch: i + 1 });
        await adapter.activate(ref(id), 'us-east', { ...call(), epoch: i + 1 });
      } else {
        await write(p, id, { id, n: 0 });
      }
    }
    // Clients write to every session, one write at a time per session, until the region is killed.
    const acked = new Map<string, { n: number; version: number }>();
    const inFlight = new Map<string, number>();
    let writes = 0;
    let killed = false;
    const agent = new Agent({ connections: 32 });
    const writer = async (id: string) => {
      for (let n = 1; !killed; n++) {
        inFlight.set(id, n);
        try {
          const res = await request(`${endpoint(p, 'us-east')}/sessions/${id}`, { method: 'PUT', body: JSON.stringify({ id, n }), dispatcher: agent });
          const body = (await res.body.json()) as { version: number };
          if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
          acked.set(id, { n, version: body.version });
          inFlight.delete(id);
          writes++;
        } catch {
          return; // the region died under this write: it was never acknowledged
        }
      }
    };
    const writers = ids.map((id) => writer(id));
    while (writes < 400) await new Promise((r) => setTimeout(r, 5));
    await p.kill('us-east');
    killed = true;
    await Promise.all(writers);
    await agent.close();
    const highestAcked = Math.max(...[...acked.values()].map((a) => a.version));

    await p.restart('us-east');
    trackPids(p);
    const held = await adapter.list!('us-east', call());
    expect(held).toHaveLength(ids.length);
    for (const [i, id] of ids.entries()) {
      const copy = (await read(p, id)).body;
      expect(copy).toMatchObject({ status: 'suspended', fenced: 'restarted', epoch: i % 2 === 0 ? i + 1 : 0 });
      // The last acknowledged write, or the one in flight when the region died (written, its answer lost).
      const last = acked.get(id)?.n ?? 0;
      const pending = inFlight.get(id);
      expect(copy.state.n === last || copy.state.n === pending, `${id}: n=${copy.state.n}, acked ${last}, in flight ${pending}`).toBe(true);
      expect(held).toContainEqual({ id, status: 'suspended', epoch: i % 2 === 0 ? i + 1 : 0 });
    }

    // Not served: a client write is refused until the control plane activates the copy.
    expect((await write(p, 'u0', { id: 'u0', n: -1 })).body.code).toBe('SESSION_SUSPENDED');
    const stale = await rejection(adapter.activate(ref('u2'), 'us-east', { ...call(), epoch: 2 }));
    expect(stale.details).toMatchObject({ sessionId: 'u2', epoch: 2, currentEpoch: 3 });
    await adapter.activate(ref('u2'), 'us-east', { ...call(), epoch: 3 });
    const revived = (await read(p, 'u2')).body;
    expect(revived).toMatchObject({ status: 'active', epoch: 3 });
    expect(revived.fenced).toBeUndefined();
    // The region-wide version counter did not go back.
    const next = await write(p, 'u2', { id: 'u2', n: 1_000 });
    expect(next.body.version).toBeGreaterThan(highestAcked);

    // Activation and deletion persist too: another restart shows the activation's epoch and no deleted session.
    await adapter.discard(ref('u1'), 'us-east', call());
    await p.restart('us-east');
    trackPids(p);
    expect((await read(p, 'u1')).status).toBe(404);
    expect((await read(p, 'u2')).body).toMatchObject({ state: { n: 1_000 }, status: 'suspended', fenced: 'restarted', epoch: 3 });
    expect(await adapter.list!('us-east', call())).toHaveLength(ids.length - 1);
    // The other region kept its own (empty) directory.
    expect(await adapter.list!('eu-west', call())).toEqual([]);
  });

  it('never hands out a version again after a restart, even one of a session deleted since', async () => {
    const dataDir = tempDir();
    const { p } = await deploy(dataDir);
    let highest = 0;
    for (let i = 0; i < 30; i++) highest = (await write(p, `d${i}`, { i })).body.version;
    for (let i = 0; i < 30; i++) expect((await http(`${endpoint(p, 'us-east')}/sessions/d${i}`, 'DELETE')).status).toBe(204);
    expect(readdirSync(join(dataDir, 'us-east', 'sessions'))).toEqual([]);
    await p.kill('us-east');
    await p.restart('us-east');
    trackPids(p);
    expect((await write(p, 'after', {})).body.version).toBeGreaterThan(highest);
  });

  it('leaves no torn file after a kill during heavy writes, and skips unreadable files without crashing', async () => {
    const dataDir = tempDir();
    const { p, adapter } = await deploy(dataDir);
    const sessionsDir = join(dataDir, 'us-east', 'sessions');
    const ids = Array.from({ length: 200 }, (_, i) => `h${i}`);
    const agent = new Agent({ connections: 64 });
    let killed = false;
    let acks = 0;
    const big = 'x'.repeat(4_000); // larger states make a write take long enough to be cut
    for (const id of ids) expect((await write(p, id, { id, n: -1 })).status).toBe(200);
    const writer = async (id: string) => {
      for (let n = 0; !killed; n++) {
        try {
          const res = await request(`${endpoint(p, 'us-east')}/sessions/${id}`, { method: 'PUT', body: JSON.stringify({ id, n, big }), dispatcher: agent });
          await res.body.dump();
          if (res.statusCode === 200) acks++;
        } catch {
          return;
        }
      }
    };
    const writers = ids.map((id) => writer(id));
    while (acks < 2_000) await new Promise((r) => setTimeout(r, 5));
    await p.kill('us-east');
    killed = true;
    await Promise.all(writers);
    await agent.close();

    // Every session file is whole JSON (a temporary file may remain: a write the kill cut short).
    const files = readdirSync(sessionsDir).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(ids.length);
    for (const file of files) expect(() => JSON.parse(readFileSync(join(sessionsDir, file), 'utf8'))).not.toThrow();

    // Files the region cannot read are skipped, not fatal.
    writeFileSync(join(sessionsDir, 'torn.json'), '{"id":"h1","state":{"n"');
    writeFileSync(join(sessionsDir, `${'0'.repeat(64)}.json`), JSON.stringify({ id: 'other', state: {}, status: 'active', epoch: 0, version: 1, updatedAt: 0 }));
    writeFileSync(join(sessionsDir, 'leftover.json.tmp'), '{"id"');
    await p.restart('us-east');
    trackPids(p);
    const held = await adapter.list!('us-east', call());
    expect(held).toHaveLength(ids.length);
    expect(held.every((s) => s.status === 'suspended')).toBe(true);
    expect(new Set(held.map((s) => s.id))).toEqual(new Set(ids));
    // Leftover temporary files are cleared at start.
    expect(readdirSync(sessionsDir).some((f) => f.endsWith('.tmp'))).toBe(false);
  }, 60_000);
});
