import { randomBytes } from 'node:crypto';
import { MemorySessionRegistry, MeridianError, type SessionRecord, type SessionRegistry } from '@meridian/core';
import { createRedisSessionRegistry, RedisSessionRegistry } from '@meridian/replica-redis';
import {
  listAll,
  redisServerRequirement,
  runSessionRegistryConformance,
  sessionRecord,
  skipUnless,
  useRedisServer,
} from '@meridian/testkit';
import { createClient } from 'redis';
import { afterEach, describe, expect, it } from 'vitest';

const coded = (code: string) => (e: unknown) => MeridianError.hasCode(e, code as never);
const freshPrefix = (): string => `test:${randomBytes(6).toString('hex')}`;

/** Everything an error says, down its cause chain: a password must appear nowhere in it. */
function everythingSaid(error: unknown): string {
  const parts: string[] = [];
  for (let e = error, depth = 0; e && depth < 10; e = (e as { cause?: unknown }).cause, depth++) {
    parts.push(String((e as Error).message ?? e), String((e as Error).stack ?? ''));
    if (MeridianError.isInstance(e)) parts.push(JSON.stringify(e.details));
  }
  return parts.join('\n');
}

// A real redis-server on loopback; where it is not installed, the file is skipped with the reason and the
// install command printed (CI installs it and fails on any skipped test).
describe('RedisSessionRegistry against a real redis-server', skipUnless(redisServerRequirement()), () => {
  const server = useRedisServer();

  // The peer is a second connection on the same prefix: a second control-plane instance.
  runSessionRegistryConformance('redis', async () => {
    const prefix = freshPrefix();
    const open: RedisSessionRegistry[] = [await RedisSessionRegistry.connect({ url: server.url, prefix })];
    return {
      registry: open[0]!,
      async peer() {
        const peer = await RedisSessionRegistry.connect({ url: server.url, prefix });
        open.push(peer);
        return peer;
      },
      async close() {
        await Promise.all(open.map((r) => r.close()));
      },
    };
  });

  describe('RedisSessionRegistry', () => {
    const open: RedisSessionRegistry[] = [];
    const connect = async (prefix = freshPrefix()): Promise<RedisSessionRegistry> => {
      const registry = await createRedisSessionRegistry({ url: server.url, prefix });
      open.push(registry);
      return registry;
    };
    const raw = async () => {
      const client = createClient({ url: server.url });
      await client.connect();
      return client;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((r) => r.close()));
    });

    it('holds its compare-and-set under 20 racers on 20 connections, round after round', async () => {
      const prefix = freshPrefix();
      const racers = await Promise.all(Array.from({ length: 20 }, () => connect(prefix)));
      await racers[0]!.put(sessionRecord('hot', { epoch: 0 }), { ifAbsent: true });
      for (let round = 0; round < 10; round++) {
        const attempts = racers.map((_, i) => sessionRecord('hot', { epoch: round + 1, region: `region-${i}`, state: 'migrating', metadata: { racer: String(i), round: String(round) } }));
        const outcomes = await Promise.allSettled(racers.map((r, i) => r.put(attempts[i]!, { expectedEpoch: round })));
        const won = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
        expect(won).toHaveLength(1);
        for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toSatisfy(coded('PRECONDITION_FAILED'));
        expect(await racers[19 - won[0]!]!.get('hot')).toStrictEqual(attempts[won[0]!]);
        // The winner's region index holds the id, and no other region's does.
        const regions = await Promise.all(racers.map((_, i) => racers[0]!.list({ region: `region-${i}` })));
        expect(regions.flatMap((page, i) => (page.records.length > 0 ? [i] : []))).toEqual(won);
      }
      // Racing registrations of 20 new ids, every racer on every id: one winner per id.
      const ids = Array.from({ length: 20 }, (_, i) => `new-${i}`);
      const registrations = await Promise.allSettled(ids.flatMap((id) => racers.map((r, i) => r.put(sessionRecord(id, { region: `region-${i}` }), { ifAbsent: true }))));
      expect(registrations.filter((o) => o.status === 'fulfilled')).toHaveLength(20);
      expect((await listAll(racers[0]!)).map((r) => r.id).sort()).toEqual(['hot', ...ids].sort());
    });

    it('refuses with the same messages as MemorySessionRegistry (core putConflict words)', async () => {
      const redis = await connect();
      const memory = new MemorySessionRegistry();
      const messages = async (registry: SessionRegistry): Promise<string[]> => {
        const out: string[] = [];
        const attempt = (record: SessionRecord, options?: object) => registry.put(record, options).then(() => out.push('ok'), (e: Error) => out.push(e.message));
        await attempt(sessionRecord('m', { epoch: 3 }), { ifAbsent: true });
        await attempt(sessionRecord('m', { epoch: 4 }), { ifAbsent: true });
        await attempt(sessionRecord('m', { epoch: 4 }), { expectedEpoch: 2 });
        await attempt(sessionRecord('absent', { epoch: 1 }), { expectedEpoch: 0 });
        await attempt(sessionRecord('m', { epoch: 2 }));
        await attempt(sessionRecord('m', { epoch: 2 }), { expectedEpoch: 3 });
        await attempt(sessionRecord('m', { epoch: 4 }), { expectedEpoch: 3 });
        return out;
      };
      const fromRedis = await messages(redis);
      expect(fromRedis).toEqual(await messages(memory));
      expect(fromRedis.filter((m) => m === 'ok')).toHaveLength(2);
    });

    it('keeps the documented key layout: JSON record, id index and region indexes, and leaves no keys behind', async () => {
      const registry = await connect();
      const p = registry.prefix;
      const client = await raw();
      try {
        const record = sessionRecord('s-1', { region: 'eu-west', metadata: { user: 'Zoë' }, pendingSnapshot: 'snap/1' });
        await registry.put(record);
        const text = await client.get(`${p}:sess:s-1`);
        expect(text!.startsWith('{"epoch":0,"region":"eu-west",')).toBe(true);
        expect(JSON.parse(text!)).toStrictEqual({ ...record });
        expect(await client.zRangeWithScores(`${p}:sess-ids`, 0, -1)).toEqual([{ value: 's-1', score: 0 }]);
        expect(await client.zRange(`${p}:sess-region:eu-west`, 0, -1)).toEqual(['s-1']);
        await registry.put(sessionRecord('s-1', { region: 'us-east', epoch: 1 }), { expectedEpoch: 0 });
        expect(await client.exists(`${p}:sess-region:eu-west`)).toBe(0);
        expect(await client.zRange(`${p}:sess-region:us-east`, 0, -1)).toEqual(['s-1']);
        expect(await registry.delete('s-1')).toBe(true);
        expect(await client.keys(`${p}:*`)).toEqual([]);
      } finally {
        client.destroy();
      }
    });

    it('refuses garbage found in Redis with SYNC_PROTOCOL_ERROR naming the session, changing nothing', async () => {
      const registry = await connect();
      const p = registry.prefix;
      const client = await raw();
      try {
        await client.set(`${p}:sess:broken`, '{"epoch":1,"region":"eu-west"');
        const { epoch, region, ...rest } = sessionRecord('someone-else');
        await client.set(`${p}:sess:other`, JSON.stringify({ epoch, region, ...rest }));
        await client.set(`${p}:sess:foreign`, JSON.stringify({ hello: 'world' }));
        await client.hSet(`${p}:sess:hash`, 'a', 'b');
        const named = (id: string) => (e: unknown) => coded('SYNC_PROTOCOL_ERROR')(e) && (e as Error).message.includes(`"${id}"`);
        await expect(registry.get('broken')).rejects.toSatisfy(named('broken'));
        await expect(registry.get('other')).rejects.toSatisfy(named('other'));
        await expect(registry.get('foreign')).rejects.toSatisfy(named('foreign'));
        await expect(registry.get('hash')).rejects.toSatisfy(coded('SYNC_PROTOCOL_ERROR'));
        await expect(registry.put(sessionRecord('foreign', { epoch: 9 }))).rejects.toSatisfy(named('foreign'));
        await expect(registry.delete('foreign')).rejects.toSatisfy(named('foreign'));
        expect(await client.get(`${p}:sess:foreign`)).toBe(JSON.stringify({ hello: 'world' }));
        await client.zAdd(`${p}:sess-ids`, { score: 0, value: 'listed-only' });
        await expect(registry.list()).rejects.toSatisfy(named('listed-only'));
        await registry.put(sessionRecord('moved', { region: 'us-east' }));
        await client.zAdd(`${p}:sess-region:ap-south`, { score: 0, value: 'moved' });
        await expect(registry.list({ region: 'ap-south' })).rejects.toSatisfy(named('moved'));
      } finally {
        client.destroy();
      }
    });

    it('reuses a client the host gives it and leaves it open on close', async () => {
      const client = await raw();
      try {
        const registry = await RedisSessionRegistry.connect({ client });
        expect(registry.prefix).toBe('meridian:registry');
        await registry.put(sessionRecord('shared'));
        expect(await client.exists('meridian:registry:sess:shared')).toBe(1);
        expect(await registry.delete('shared')).toBe(true);
        await registry.close();
        await registry.close();
        expect(await client.ping()).toBe('PONG');
        await expect(registry.get('shared')).rejects.toSatisfy(coded('STORE_UNAVAILABLE'));
      } finally {
        client.destroy();
      }
    });

    it('validates options with INVALID_CONFIG and never shows a password', async () => {
      const bad = [
        {},
        { url: 'http://user:hunter2@127.0.0.1:6379' },
        { url: 'redis://user:hunter2@127.0.0.1:6379', prefix: 'has space' },
        { url: server.url, commandTimeoutMillis: 0 },
        { url: server.url, unknown: true },
        { client: {} },
      ];
      for (const options of bad) {
        const error = await RedisSessionRegistry.connect(options as never).catch((e: unknown) => e);
        expect(error).toSatisfy(coded('INVALID_CONFIG'));
        expect((error as Error).message).toContain('RedisSessionRegistry options');
        expect(everythingSaid(error)).not.toContain('hunter2');
      }
    });
  });

  describe('RedisSessionRegistry when the server goes away', () => {
    const PASSWORD = 'registry-s3cret-pw';
    const own = useRedisServer();
    let url: string;

    // The test server starts without a password: give it one, as production would have.
    const requirePassword = async (): Promise<void> => {
      const client = createClient({ url: own.url });
      await client.connect();
      await client.configSet('requirepass', PASSWORD);
      client.destroy();
      url = `redis://default:${PASSWORD}@127.0.0.1:${own.port}`;
    };
    // Holds every command on the server (CLIENT PAUSE) so a call is really in flight.
    const pause = async (millis: number): Promise<void> => {
      const client = createClient({ url });
      await client.connect();
      await client.sendCommand(['CLIENT', 'PAUSE', String(millis), 'ALL']);
      client.destroy();
    };

    it('fails with STORE_UNAVAILABLE, never the password, when the server stops mid-call and while it is down; recovers after a restart', async () => {
      await requirePassword();
      const wrong = await RedisSessionRegistry.connect({ url: url.replace(PASSWORD, 'not-the-pw'), connectTimeoutMillis: 1000 }).catch((e: unknown) => e);
      expect(wrong).toSatisfy(coded('STORE_UNAVAILABLE'));
      expect(everythingSaid(wrong)).not.toContain('not-the-pw');

      const registry = await RedisSessionRegistry.connect({ url, prefix: freshPrefix() });
      try {
        await registry.put(sessionRecord('before', { epoch: 1 }));
        await pause(10_000);
        const inFlight = registry.put(sessionRecord('before', { epoch: 2 }), { expectedEpoch: 1 }).catch((e: unknown) => e);
        await own.stop();
        const midCall = await inFlight;
        expect(midCall).toSatisfy(coded('STORE_UNAVAILABLE'));
        expect((midCall as Error).message).toContain(`127.0.0.1:${own.port}`);
        expect(everythingSaid(midCall)).not.toContain(PASSWORD);

        const started = performance.now();
        for (const call of [() => registry.get('before'), () => registry.list(), () => registry.put(sessionRecord('down')), () => registry.delete('before')]) {
          const error = await call().catch((e: unknown) => e);
          expect(error).toSatisfy(coded('STORE_UNAVAILABLE'));
          expect(everythingSaid(error)).not.toContain(PASSWORD);
        }
        expect(performance.now() - started).toBeLessThan(500); // fails fast, nothing queued

        // Restarted empty and without a password (the client still sends it: the default user takes any).
        await own.restart();
        const deadline = Date.now() + 10_000;
        let page = await registry.list().catch((e: unknown) => e);
        while (coded('STORE_UNAVAILABLE')(page) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          page = await registry.list().catch((e: unknown) => e);
        }
        expect(page).toEqual({ records: [] });
        // The scripts are loaded anew (NOSCRIPT, then EVAL).
        await registry.put(sessionRecord('after', { epoch: 5 }), { ifAbsent: true });
        await expect(registry.put(sessionRecord('after', { epoch: 4 }))).rejects.toSatisfy(coded('PRECONDITION_FAILED'));
        expect(await registry.delete('after')).toBe(true);
      } finally {
        await registry.close();
      }
    });

    it('stops promptly when aborted mid-call, and bounds a call by commandTimeoutMillis', async () => {
      url = own.url;
      const registry = await RedisSessionRegistry.connect({ url, prefix: freshPrefix(), commandTimeoutMillis: 300 });
      try {
        await pause(2_000);
        const controller = new AbortController();
        const call = registry.put(sessionRecord('k'), { signal: controller.signal }).catch((e: unknown) => e);
        await new Promise((resolve) => setImmediate(resolve)); // node-redis writes on the next turn: the command is on the wire, held by the pause
        await new Promise((resolve) => setImmediate(resolve));
        const started = performance.now();
        controller.abort(new Error('user left'));
        expect(await call).toSatisfy(coded('ABORTED'));
        expect(performance.now() - started).toBeLessThan(100);

        const t0 = performance.now();
        const slow = await registry.list().catch((e: unknown) => e);
        expect(performance.now() - t0).toBeLessThan(1000);
        expect(slow).toSatisfy(coded('STORE_UNAVAILABLE'));
        expect((slow as Error).message).toMatch(/did not answer in time/);
      } finally {
        await registry.close();
      }
    });
  });
});
