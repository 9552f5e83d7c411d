import { randomBytes } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { CrossRegionSync, MemoryReplicaStore, MeridianError, ReplicaWriter, type ReplicaStore } from '@meridian/core';
import { MERKLE_LEAF_DEPTH, fingerprintOf, keyHash, leafOf, nodeName, recordEtag } from '@meridian/core/spi';
import { createRedisReplicaStore, RedisReplicaStore } from '@meridian/replica-redis';
import {
  getFreePort,
  referenceSummaries,
  replicaRecord,
  runReplicaStoreConformance,
  redisServerRequirement,
  scanAll,
  skipUnless,
  useRedisServer,
} from '@meridian/testkit';
import { createClient } from 'redis';
import { afterEach, describe, expect, it } from 'vitest';

const coded = (code: string) => (e: unknown) => MeridianError.hasCode(e, code as never);
const freshPrefix = (): string => `test:${randomBytes(6).toString('hex')}`;

// A real redis-server on loopback; where it is not installed, the file is skipped with the reason and the
// install command printed (CI installs it and fails on any skipped test).
describe('replica-redis against a real redis-server', skipUnless(redisServerRequirement()), () => {
  const server = useRedisServer();

  // Reopen = close the client, connect a new one to the same server and prefix.
  runReplicaStoreConformance(
    'redis',
    async () => {
      const prefix = freshPrefix();
      let store = await RedisReplicaStore.connect({ url: server.url, prefix });
      return {
        store,
        async reopen() {
          await store.close();
          store = await RedisReplicaStore.connect({ url: server.url, prefix });
          return store;
        },
        async close() {
          await store.close();
        },
      };
    },
    { durable: true },
  );

  describe('RedisReplicaStore', () => {
    const open: ReplicaStore[] = [];
    const connect = async (prefix = freshPrefix()): Promise<RedisReplicaStore> => {
      const store = await createRedisReplicaStore({ url: server.url, prefix });
      open.push(store);
      return store;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close!()));
    });

    it('gives tree summaries equal to the reference for 2,000 keys, computed on the server', async () => {
      const store = await connect();
      const keys = Array.from({ length: 2000 }, (_, i) => `session:${i}:${'é'.repeat(i % 5)}`);
      const started = performance.now();
      await store.apply(keys.map((key, i) => ({ key, record: replicaRecord(key, { i }, i % 3 === 0 ? 'eu-west' : 'us-east'), expected: null })));
      const applyMillis = performance.now() - started;
      const all = await scanAll(store);
      expect(all).toHaveLength(2000);
      // Every node of up to 8 bits, and the path of the first 300 keys at every depth down to 24 bits.
      const upper = Array.from({ length: 9 }, (_, bits) => Array.from({ length: 2 ** bits }, (_, i) => nodeName((i << (8 - bits)).toString(16).padStart(2, '0'), bits))).flat();
      const deep = keys.slice(0, 300).flatMap((key) => [9, 11, 12, 13, 16, 24].map((bits) => nodeName(keyHash(key), bits)));
      const nodes = [...new Set([...upper, ...deep])];
      const t0 = performance.now();
      const cold = await store.digest(nodes);
      const coldMillis = performance.now() - t0;
      expect(cold).toEqual(referenceSummaries(all, nodes));
      const t1 = performance.now();
      expect(await store.digest([''])).toEqual([cold[0]]);
      const warmMillis = performance.now() - t1;

      // A second store object on the same prefix sees the same tree, and a write changes only its path.
      const other = await connect(store.prefix);
      const key = keys[1234]!;
      const [current] = await other.getMany([key]);
      await other.apply([{ key, record: replicaRecord(key, 'changed'), expected: current!.etag }]);
      const after = await store.digest(nodes);
      expect(after).toEqual(referenceSummaries(await scanAll(store), nodes));
      const path = new Set(Array.from({ length: 65 }, (_, bits) => nodeName(keyHash(key), bits)));
      const changed = nodes.filter((_, i) => after[i]![0] !== cold[i]![0]);
      expect(changed.sort()).toEqual(nodes.filter((n) => path.has(n)).sort());
      console.log(
        `replica-redis: 2000 keys applied in ${applyMillis.toFixed(0)} ms; summaries of ${nodes.length} nodes ${coldMillis.toFixed(1)} ms cold, root ${warmMillis.toFixed(1)} ms cached`,
      );
    });

    it('splits a crowded leaf below its 12 bits exactly, and recomputes a summary cached in the old form', async () => {
      const store = await connect();
      const leaf = leafOf(keyHash('anchor'));
      const keys = ['anchor'];
      for (let i = 0; keys.length < 60; i++) if (leafOf(keyHash(`crowd:${i}`)) === leaf) keys.push(`crowd:${i}`);
      await store.apply(keys.map((key) => ({ key, record: replicaRecord(key, key), expected: null })));
      const all = await scanAll(store);
      const nodes = [leaf, ...[13, 14, 15, 16, 20, 64].map((bits) => nodeName(keyHash('anchor'), bits)), ...[13, 14].map((bits) => nodeName(keyHash('crowd:7'), bits))];
      expect(await store.digest(nodes)).toEqual(referenceSummaries(all, nodes));
      const entries = await store.entries([leaf]);
      expect(new Map(entries)).toEqual(new Map(all.map((r) => [r.key, fingerprintOf(r.etag)])));
      expect(await store.entries([nodeName(keyHash('anchor'), 64)])).toEqual([['anchor', fingerprintOf(all.find((r) => r.key === 'anchor')!.etag)]]);

      // Tree version 1 cached 40-hex digests under the same fields: such a value is not a summary and is recomputed.
      const raw = createClient({ url: server.url });
      await raw.connect();
      try {
        await raw.hSet(`${store.prefix}:digests`, { '': 'a'.repeat(40), [leaf]: 'b'.repeat(40) });
        expect(await store.digest(['', leaf])).toEqual(referenceSummaries(all, ['', leaf]));
        expect(await raw.hGet(`${store.prefix}:digests`, '')).toMatch(/^[0-9a-f]{16}:60$/);
      } finally {
        raw.destroy();
      }
    });

    it('converges with a memory store through anti-entropy, and then agrees with it on the whole tree', async () => {
      const redis = await connect();
      const memory = new MemoryReplicaStore();
      const east = new ReplicaWriter({ regionId: 'us-east', store: redis });
      const west = new ReplicaWriter({ regionId: 'eu-west', store: memory });
      for (let i = 0; i < 600; i++) await east.put(`k${i}`, { i });
      for (let i = 400; i < 900; i++) await west.put(`k${i}`, { west: i });
      const sync = new CrossRegionSync({
        regions: [
          { id: 'us-east', store: redis },
          { id: 'eu-west', store: memory },
        ],
      });
      try {
        for (let round = 0; round < 10; round++) {
          const report = await sync.syncNow();
          if (report.pairs.every((p) => p.ok && p.records === 0 && !p.catchUp)) break;
        }
        const [a, b] = await Promise.all([scanAll(redis), scanAll(memory)]);
        expect(new Map(a.map((r) => [r.key, r.etag]))).toEqual(new Map(b.map((r) => [r.key, r.etag])));
        expect(a).toHaveLength(900);
        // In step, a walk reads one root summary from each: both stores compute the same tree.
        const metadata = () => sync.status().pairs.reduce((n, p) => n + p.metadataBytes, 0);
        const before = metadata();
        const report = await sync.antiEntropy();
        expect(report.pairs.every((p) => p.ok && p.records === 0)).toBe(true);
        expect(metadata() - before).toBe(2 * JSON.stringify((await redis.digest([''])) as unknown).length);
      } finally {
        await sync.close();
      }
    });

    it('lets exactly one of two store objects racing on the same prefix win each compare-and-set', async () => {
      const a = await connect();
      const b = await connect(a.prefix);
      for (let round = 0; round < 20; round++) {
        const key = `race:${round}`;
        await a.apply([{ key, record: replicaRecord(key, 0), expected: null }]);
        const [base] = await b.getMany([key]);
        const [ra, rb] = await Promise.all([
          a.apply([{ key, record: replicaRecord(key, 'a'), expected: base!.etag }]),
          b.apply([{ key, record: replicaRecord(key, 'b'), expected: base!.etag }]),
        ]);
        expect(ra.applied.length + rb.applied.length).toBe(1);
        expect(ra.rejected.length + rb.rejected.length).toBe(1);
        const winner = ra.applied.length === 1 ? 'a' : 'b';
        const [stored] = await a.getMany([key]);
        expect(stored!.value).toBe(winner);
        expect(stored!.seq).toBeGreaterThan(base!.seq);
      }
      // Both racing to create an absent key: one wins too.
      const [ca, cb] = await Promise.all([
        a.apply([{ key: 'new', record: replicaRecord('new', 'a'), expected: null }]),
        b.apply([{ key: 'new', record: replicaRecord('new', 'b'), expected: null }]),
      ]);
      expect(ca.applied.length + cb.applied.length).toBe(1);
    });

    it('keeps one change-log entry per key, moving it between origins, and counts purges in head', async () => {
      const store = await connect();
      await store.apply([{ key: 'k', record: replicaRecord('k', 1, 'us-east'), expected: null }]);
      const [first] = await store.getMany(['k']);
      await store.apply([{ key: 'k', record: replicaRecord('k', 2, 'eu-west'), expected: first!.etag }]);
      expect((await store.scan({ since: 0, limit: 10, origin: 'us-east' })).records).toEqual([]);
      const eu = await store.scan({ since: 0, limit: 10, origin: 'eu-west' });
      expect(eu.records.map((r) => [r.key, r.value])).toEqual([['k', 2]]);
      const [second] = await store.getMany(['k']);
      expect(second!.etag).toBe(recordEtag(replicaRecord('k', 2, 'eu-west', { version: second!.version, vv: second!.vv })));
      await store.apply([{ key: 'k', record: null, expected: second!.etag }]);
      const empty = await store.scan({ since: 0, limit: 10 });
      expect(empty).toEqual({ records: [], remaining: 0, head: second!.seq + 1 });
      expect((await store.scan({ since: 0, limit: 10, origin: 'eu-west' })).records).toEqual([]);
      expect(await store.digest([''])).toEqual(referenceSummaries([], ['']));
      // Purging an absent key is applied (the precondition holds) but changes nothing, as in core's stores.
      expect(await store.apply([{ key: 'never', record: null, expected: null }])).toEqual({ applied: ['never'], rejected: [] });
      expect((await store.scan({ since: 0, limit: 1 })).head).toBe(second!.seq + 1);
    });

    it('refuses garbage found in Redis with SYNC_PROTOCOL_ERROR naming the key', async () => {
      const store = await connect();
      const raw = createClient({ url: server.url });
      await raw.connect();
      try {
        await raw.hSet(`${store.prefix}:records`, 'broken', '{"not":"a record"');
        await raw.hSet(`${store.prefix}:records`, 'wrong', JSON.stringify({ seq: 1, etag: 'x', key: 'wrong' }));
        await expect(store.getMany(['broken'])).rejects.toSatisfy((e) => coded('SYNC_PROTOCOL_ERROR')(e) && /"broken"/.test((e as Error).message));
        await expect(store.getMany(['wrong'])).rejects.toSatisfy((e) => coded('SYNC_PROTOCOL_ERROR')(e) && /"wrong"/.test((e as Error).message));
        await raw.zAdd(`${store.prefix}:log`, { score: 5, value: 'wrong' });
        await expect(store.scan({ since: 0, limit: 10 })).rejects.toSatisfy((e) => coded('SYNC_PROTOCOL_ERROR')(e) && /"wrong"/.test((e as Error).message));
        await raw.set(`${store.prefix}:records`, 'a string, not a hash');
        await expect(store.getMany(['x'])).rejects.toSatisfy(coded('SYNC_PROTOCOL_ERROR'));
      } finally {
        raw.destroy();
      }
    });

    it('reuses a client the host gives it and leaves it open on close', async () => {
      const client = createClient({ url: server.url });
      await client.connect();
      try {
        const store = await RedisReplicaStore.connect({ client, prefix: freshPrefix() });
        await store.apply([{ key: 'shared', record: replicaRecord('shared', 1), expected: null }]);
        expect((await store.getMany(['shared']))[0]!.value).toBe(1);
        await store.close();
        await store.close();
        expect(client.isReady).toBe(true);
        expect(await client.ping()).toBe('PONG');
        await expect(store.getMany(['shared'])).rejects.toSatisfy(coded('STORE_UNAVAILABLE'));
      } finally {
        client.destroy();
      }
    });

    it('validates options with INVALID_CONFIG and never shows a password', async () => {
      const bad = [
        {},
        { url: 'http://user:hunter2@127.0.0.1:6379' },
        { url: server.url, prefix: 'has space' },
        { url: server.url, commandTimeoutMillis: 0 },
        { url: server.url, unknown: true },
        { url: server.url, client: createClient() },
        { client: createClient() },
        { client: {} },
      ];
      for (const options of bad) {
        const error = await RedisReplicaStore.connect(options as never).catch((e: unknown) => e);
        expect(error).toSatisfy(coded('INVALID_CONFIG'));
        expect((error as Error).message).not.toContain('hunter2');
      }
    });

    it('fails with STORE_UNAVAILABLE naming host:port, never the password, when nothing listens', async () => {
      const port = await getFreePort();
      const started = performance.now();
      const error = await createRedisReplicaStore({ url: `redis://admin:hunter2@127.0.0.1:${port}`, connectTimeoutMillis: 1000 }).catch((e: unknown) => e);
      expect(error).toSatisfy(coded('STORE_UNAVAILABLE'));
      expect((error as Error).message).toContain(`127.0.0.1:${port}`);
      expect((error as Error).message).not.toContain('hunter2');
      expect(performance.now() - started).toBeLessThan(2000);
    });

    it('bounds connecting to a server that accepts but never answers, and aborts it', async () => {
      const sockets = new Set<Socket>();
      const silent = createServer((socket) => void sockets.add(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const port = (silent.address() as { port: number }).port;
      try {
        const started = performance.now();
        const error = await createRedisReplicaStore({ url: `redis://127.0.0.1:${port}`, connectTimeoutMillis: 300 }).catch((e: unknown) => e);
        expect(error).toSatisfy(coded('STORE_UNAVAILABLE'));
        expect((error as Error).message).toMatch(/connectTimeoutMillis/);
        expect(performance.now() - started).toBeLessThan(1500);

        const controller = new AbortController();
        const pending = createRedisReplicaStore({ url: `redis://127.0.0.1:${port}` }, { signal: controller.signal }).catch((e: unknown) => e);
        controller.abort(new Error('shutting down'));
        expect(await pending).toSatisfy(coded('ABORTED'));
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => silent.close(resolve));
      }
    });

    it('aborts connect and calls with ABORTED', async () => {
      const controller = new AbortController();
      controller.abort(new Error('stop'));
      await expect(RedisReplicaStore.connect({ url: server.url }, { signal: controller.signal })).rejects.toSatisfy(coded('ABORTED'));
      const store = await connect();
      for (const call of [
        () => store.scan({ since: 0, limit: 1, signal: controller.signal }),
        () => store.digest([''], { signal: controller.signal }),
        () => store.entries(['0'.repeat(MERKLE_LEAF_DEPTH)], { signal: controller.signal }),
        () => store.entries(['8/1'], { signal: controller.signal }),
      ]) {
        await expect(call()).rejects.toSatisfy(coded('ABORTED'));
      }
    });
  });

  describe('RedisReplicaStore when the server goes away', () => {
    const own = useRedisServer();

    // Holds every command on the server (CLIENT PAUSE) so a call is really in flight.
    const pause = async (millis: number): Promise<void> => {
      const raw = createClient({ url: own.url });
      await raw.connect();
      await raw.sendCommand(['CLIENT', 'PAUSE', String(millis), 'ALL']);
      raw.destroy();
    };

    it('fails with STORE_UNAVAILABLE when the server is stopped mid-call and while it is down, then recovers after a restart', async () => {
      const store = await RedisReplicaStore.connect({ url: own.url, prefix: freshPrefix() });
      try {
        await store.apply([{ key: 'before', record: replicaRecord('before', 1), expected: null }]);
        await store.digest(['']);
        await pause(10_000);
        const inFlight = store.getMany(['before']).catch((e: unknown) => e);
        await own.stop();
        const midCall = await inFlight;
        expect(midCall).toSatisfy(coded('STORE_UNAVAILABLE'));
        expect((midCall as Error).message).toContain(`127.0.0.1:${own.port}`);
        expect((midCall as MeridianError).cause).toBeDefined();

        const started = performance.now();
        await expect(store.apply([{ key: 'down', record: replicaRecord('down', 1), expected: null }])).rejects.toSatisfy(coded('STORE_UNAVAILABLE'));
        await expect(store.scan({ since: 0, limit: 1 })).rejects.toSatisfy(coded('STORE_UNAVAILABLE'));
        expect(performance.now() - started).toBeLessThan(500); // fails fast, nothing queued

        await own.restart();
        // The client reconnects in the background (backoff up to 1 s); poll the store, bounded.
        const deadline = Date.now() + 10_000;
        let page = await store.scan({ since: 0, limit: 10 }).catch((e: unknown) => e);
        while (coded('STORE_UNAVAILABLE')(page) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          page = await store.scan({ since: 0, limit: 10 }).catch((e: unknown) => e);
        }
        // The test server keeps nothing across a restart; the store works again, scripts loaded anew (NOSCRIPT).
        expect(page).toEqual({ records: [], remaining: 0, head: 0 });
        expect(await store.apply([{ key: 'after', record: replicaRecord('after', 2), expected: null }])).toEqual({ applied: ['after'], rejected: [] });
        expect((await store.getMany(['after']))[0]!.value).toBe(2);
        expect(await store.digest([''])).toEqual(referenceSummaries(await scanAll(store), ['']));
      } finally {
        await store.close();
        await store.close();
      }
    });

    it('stops promptly when aborted mid-call, and bounds a call by commandTimeoutMillis', async () => {
      const store = await RedisReplicaStore.connect({ url: own.url, prefix: freshPrefix(), commandTimeoutMillis: 300 });
      try {
        await pause(2_000);
        const controller = new AbortController();
        const call = store.getMany(['k'], { signal: controller.signal }).catch((e: unknown) => e);
        await new Promise((resolve) => setImmediate(resolve)); // node-redis writes on the next turn: the command is on the wire, held by the pause
        await new Promise((resolve) => setImmediate(resolve));
        const started = performance.now();
        controller.abort(new Error('user left'));
        expect(await call).toSatisfy(coded('ABORTED'));
        expect(performance.now() - started).toBeLessThan(100);

        const t0 = performance.now();
        const slow = await store.scan({ since: 0, limit: 1 }).catch((e: unknown) => e);
        expect(performance.now() - t0).toBeLessThan(1000);
        expect(slow).toSatisfy(coded('STORE_UNAVAILABLE'));
        expect((slow as Error).message).toMatch(/did not answer in time/);
      } finally {
        await store.close();
      }
    });
  });
});
