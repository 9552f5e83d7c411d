import { gzipSync } from 'node:zlib';
import { MemoryReplicaStore, MeridianError, type ReplicaWrite } from '@meridian/core';
import { fingerprintOf, keyHash, nodeName, recordEtag } from '@meridian/core/spi';
import { createLocalProvider, createLocalReplicaStore, MAX_REPLICA_BODY_BYTES, type LocalProvider, type LocalReplicaStore } from '@meridian/providers-local';
import {
  findLeakedProcesses,
  referenceSummaries,
  replicaRecord,
  runReplicaStoreConformance,
  scanAll,
  startScriptedServer,
  type ScriptedBehaviour,
  type ScriptedServer,
} from '@meridian/testkit';
import { Agent, request, type Dispatcher } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

const REGION = 'us-east';
const PROTOCOL_HEADER = 'x-meridian-replica-protocol';
const pids = new Set<number>();

/** A provider running one fresh region: its replica store starts empty. */
async function startRegion(): Promise<LocalProvider> {
  const provider = createLocalProvider({ regions: [{ id: REGION, location: { lat: 37.5, lon: -77.5 } }] });
  const result = await provider.deploy({ name: 'replica-test', regions: [] });
  for (const pid of provider.pids()) pids.add(pid);
  if (result.regions[0]?.state !== 'running') throw new Error(`region did not start: ${result.regions[0]?.error}`);
  return provider;
}

async function errorOf(promise: Promise<unknown>): Promise<MeridianError> {
  try {
    await promise;
  } catch (error) {
    if (MeridianError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a MeridianError, but the call succeeded');
}

afterAll(async () => {
  // No region process may outlive the test run.
  expect(await findLeakedProcesses([...pids])).toEqual([]);
});

runReplicaStoreConformance(
  'local region API',
  async () => {
    const provider = await startRegion();
    const store = createLocalReplicaStore(provider, REGION);
    return {
      store,
      async close() {
        await store.close();
        await provider.stop();
      },
    };
  },
  { durable: false },
);

describe('LocalReplicaStore against a real region process', () => {
  let provider: LocalProvider | undefined;
  let store: LocalReplicaStore | undefined;
  afterEach(async () => {
    await store?.close();
    await provider?.stop();
    store = undefined;
    provider = undefined;
  });

  async function open(options: { timeoutMillis?: number; dispatcher?: Dispatcher } = {}): Promise<LocalReplicaStore> {
    provider = await startRegion();
    store = createLocalReplicaStore(provider, REGION, options);
    return store;
  }

  const endpoint = () => provider!.regions()[0]!.endpoint;

  it('a killed region is STORE_UNAVAILABLE naming the region and the call; restored, it answers again', async () => {
    const s = await open();
    await s.apply([{ key: 'a', record: replicaRecord('a', 1), expected: null }]);
    await provider!.kill(REGION);
    for (const call of [() => s.getMany(['a']), () => s.apply([{ key: 'b', record: replicaRecord('b', 1), expected: null }])]) {
      const error = await errorOf(call());
      expect(error.code).toBe('STORE_UNAVAILABLE');
      expect(error.message).toMatch(/^LocalReplicaStore\.(getMany|apply): region "us-east" is unavailable: ECONNREFUSED/);
    }
    await provider!.restore(REGION);
    for (const pid of provider!.pids()) pids.add(pid);
    // The data lived in the killed process's memory.
    expect(await s.getMany(['a'])).toEqual([undefined]);
  });

  it('a hung region is STORE_UNAVAILABLE within timeoutMillis', async () => {
    const s = await open({ timeoutMillis: 300 });
    await provider!.hang(REGION);
    const started = performance.now();
    const error = await errorOf(s.scan({ since: 0, limit: 10 }));
    const elapsed = performance.now() - started;
    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(error.message).toContain('region "us-east" is unavailable: no answer within 300 ms');
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1_500);
    await provider!.restore(REGION);
    expect(await s.scan({ since: 0, limit: 10 })).toEqual({ records: [], remaining: 0, head: 0 });
  });

  it('a region answering 500s is STORE_UNAVAILABLE; a slow one within the limit still answers', async () => {
    const s = await open({ timeoutMillis: 2_000 });
    await provider!.failRate(REGION, 1);
    const error = await errorOf(s.digest(['']));
    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(error.message).toContain('LocalReplicaStore.digest: region "us-east" is unavailable: it answered status 500');
    await provider!.slow(REGION, 100);
    expect(await s.digest([''])).toEqual(referenceSummaries([], ['']));
  });

  it('an abort in flight ends the call at once with ABORTED', async () => {
    const s = await open({ timeoutMillis: 5_000 });
    await provider!.hang(REGION);
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(new Error('user gave up')), 50);
    const error = await errorOf(s.getMany(['a'], { signal: controller.signal }));
    expect(error.code).toBe('ABORTED');
    expect(error.message).toBe('LocalReplicaStore.getMany was aborted');
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('sends a large batch gzip-compressed; the tree summaries equal the reference and a memory store given the same writes', async () => {
    const sent: Array<{ path: string; encoding: unknown }> = [];
    const agent = new Agent();
    const dispatcher = agent.compose((dispatch) => (opts, handler) => {
      sent.push({ path: opts.path, encoding: (opts.headers as Record<string, string> | undefined)?.['content-encoding'] });
      return dispatch(opts, handler);
    });
    try {
      const s = await open({ dispatcher });
      const writes: ReplicaWrite[] = Array.from({ length: 2_000 }, (_, i) => ({
        key: `user:${i}`,
        record: replicaRecord(`user:${i}`, { i, note: 'x'.repeat(100) }, i % 3 === 0 ? 'eu-west' : 'us-east'),
        expected: null,
      }));
      const result = await s.apply(writes);
      expect(result.applied).toHaveLength(2_000);
      expect(result.rejected).toEqual([]);
      expect(sent.find((r) => r.path === '/replica/apply')?.encoding).toBe('gzip');

      const records = await scanAll(s);
      expect(records).toHaveLength(2_000);
      const hash = keyHash('user:7');
      const nodes = ['', '8/1', ...'0123456789abcdef'.split(''), '00', '7c', 'ff', 'aaa', ...[5, 13, 20, 64].map((bits) => nodeName(hash, bits))];
      const summaries = await s.digest(nodes);
      expect(summaries).toEqual(referenceSummaries(records, nodes));
      const memory = new MemoryReplicaStore();
      await memory.apply(writes);
      expect(summaries).toEqual(await memory.digest(nodes));

      const entries = await s.entries(['']);
      expect(entries).toHaveLength(2_000);
      expect(new Map(entries)).toEqual(new Map(records.map((r) => [r.key, fingerprintOf(r.etag)])));
      expect(await s.entries([nodeName(hash, 20)])).toEqual([['user:7', fingerprintOf(records.find((r) => r.key === 'user:7')!.etag)]]);
      expect((await s.scan({ since: 0, limit: 5, origin: 'eu-west' })).remaining).toBe(667 - 5);
      // Small bodies go as they are.
      await s.getMany(['user:1']);
      expect(sent.at(-1)).toEqual({ path: '/replica/get', encoding: undefined });
    } finally {
      await agent.close();
    }
  });
});

describe('the region /replica API on the wire', () => {
  let provider: LocalProvider | undefined;
  afterEach(async () => {
    await provider?.stop();
    provider = undefined;
  });

  async function call(path: string, options: { method?: 'GET' | 'POST'; body?: Buffer | string; headers?: Record<string, string> } = {}) {
    const res = await request(`${provider!.regions()[0]!.endpoint}${path}`, {
      method: options.method ?? 'POST',
      headers: { [PROTOCOL_HEADER]: '2', ...options.headers },
      ...(options.body === undefined ? {} : { body: options.body }),
      signal: AbortSignal.timeout(5_000),
    });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
  }

  it('speaks only protocol 2, and says so in every answer', async () => {
    provider = await startRegion();
    const missing = await call('/replica/get', { body: '{"keys":[]}', headers: { [PROTOCOL_HEADER]: '' } });
    expect(missing).toMatchObject({ status: 400, body: { protocol: 2 } });
    // A client of protocol 1 (anti-entropy tree version 1) is refused, not answered in a tree it cannot read.
    const older = await call('/replica/digest', { body: '{"prefixes":[""]}', headers: { [PROTOCOL_HEADER]: '1' } });
    expect(older.status).toBe(400);
    expect(older.body).toEqual({ error: expect.stringContaining('replica protocol "1": this region speaks 2'), protocol: 2 });
    expect(await call('/replica/get', { body: '{"keys":["a"]}' })).toEqual({ status: 200, body: { protocol: 2, records: [null] } });
    expect(await call('/replica/scan?since=0&limit=1', { method: 'GET' })).toEqual({ status: 200, body: { protocol: 2, records: [], remaining: 0, head: 0 } });
    expect(await call('/replica/digest', { body: '{"nodes":["","8/1"]}' })).toEqual({ status: 200, body: { protocol: 2, summaries: [['0000000000000000', 0], ['0000000000000000', 0]] } });
    expect(await call('/replica/entries', { body: '{"nodes":[""]}' })).toEqual({ status: 200, body: { protocol: 2, entries: [] } });
    expect(await call('/replica/nope', { body: '{}' })).toMatchObject({ status: 404, body: { protocol: 2 } });
    expect(await call('/replica/scan?since=0&limit=1')).toMatchObject({ status: 405, body: { protocol: 2 } });
  });

  it('refuses bad input with 400 naming the problem, and bodies over 16 MiB with 413', async () => {
    provider = await startRegion();
    const record = { ...replicaRecord('k', 1), version: 'yesterday' };
    const cases: Array<[string, string, RegExp]> = [
      ['/replica/apply', JSON.stringify({ writes: [{ key: 'k', record: { ...record, etag: recordEtag(replicaRecord('k', 1)) }, expected: null }] }), /writes\[0\]\.record\.version "yesterday" is not an HLC timestamp/],
      ['/replica/apply', JSON.stringify({ writes: [{ key: 'k', record: replicaRecord('k', 1), expected: null }] }), /writes\[0\]\.record\.etag must be 40/],
      ['/replica/apply', JSON.stringify({ writes: [{ key: 'k', record: null, expected: 'x' }] }), /writes\[0\]\.expected must be an etag/],
      ['/replica/get', JSON.stringify({ keys: ['ok', 'bad\u0001'] }), /keys\[1\] "bad\\u0001" contains a control character/],
      ['/replica/digest', JSON.stringify({ nodes: ['a'.repeat(17)] }), /node "a{17}" is not a Merkle node name/],
      ['/replica/digest', JSON.stringify({ prefixes: [''] }), /nodes must be an array of Merkle node names/],
      ['/replica/entries', JSON.stringify({ nodes: ['9/1'] }), /node "9\/1" is not a Merkle node name/],
      ['/replica/get', '{"keys":', /body is not valid JSON/],
    ];
    for (const [path, body, message] of cases) {
      const reply = await call(path, { body });
      expect(reply.status, path).toBe(400);
      expect(reply.body).toEqual({ error: expect.stringMatching(message), protocol: 2 });
    }
    const scan = await call('/replica/scan?since=-1&limit=1', { method: 'GET' });
    expect(scan).toEqual({ status: 400, body: { error: 'scan since must be a non-negative integer, got "-1"', protocol: 2 } });
    const notGzip = await call('/replica/get', { body: '{"keys":[]}', headers: { 'content-encoding': 'gzip' } });
    expect(notGzip.body.error).toMatch(/body is not valid gzip/);
    // A small gzip body that inflates past the limit (a "zip bomb") is refused without inflating it all.
    const bomb = gzipSync(Buffer.alloc(MAX_REPLICA_BODY_BYTES + 1, 0x20));
    expect(bomb.length).toBeLessThan(100_000);
    const inflated = await call('/replica/apply', { body: bomb, headers: { 'content-encoding': 'gzip' } });
    expect(inflated).toEqual({ status: 413, body: { error: `decompressed body is over the limit of ${MAX_REPLICA_BODY_BYTES} bytes`, protocol: 2 } });
    const raw = await call('/replica/apply', { body: Buffer.alloc(MAX_REPLICA_BODY_BYTES + 1, 0x20) });
    expect(raw.status).toBe(413);
    // The region still serves its other APIs.
    const kv = await request(`${provider.regions()[0]!.endpoint}/kv/x`, { method: 'PUT', body: '1' });
    expect(kv.statusCode).toBe(200);
    await kv.body.dump();
  });
});

describe('LocalReplicaStore against a scripted server', () => {
  let server: ScriptedServer | undefined;
  let store: LocalReplicaStore | undefined;
  afterEach(async () => {
    await store?.close();
    await server?.close();
    store = undefined;
    server = undefined;
  });

  async function scripted(behaviour: ScriptedBehaviour): Promise<LocalReplicaStore> {
    server = await startScriptedServer(behaviour);
    store = createLocalReplicaStore({ endpoint: server.url, timeoutMillis: 1_000 });
    return store;
  }

  const record = replicaRecord('a', 1);
  const stored = { ...record, seq: 1, etag: recordEtag(record) };
  const ok = (body: unknown): ScriptedBehaviour => ({ kind: 'ok', body: JSON.stringify(body) });

  it.each<[string, ScriptedBehaviour, RegExp]>([
    ['a body that is not JSON', { kind: 'ok', body: '<html>busy</html>' }, /status 200 with a body that is not JSON: "<html>busy<\/html>"/],
    ['bytes that are not HTTP', { kind: 'garbage' }, /the reply is not HTTP/],
    ['another protocol version', ok({ protocol: 1, records: [stored] }), /it speaks protocol 1/],
    ['no protocol version', ok({ records: [stored] }), /status 200 without a protocol version/],
    ['a 404 from a server without the replica API', { kind: 'status', status: 404, body: '{"error":"not found"}' }, /status 404 without a protocol version/],
    ['a malformed record', ok({ protocol: 2, records: [{ ...stored, version: 'yesterday' }] }), /records\[0\] returned a malformed record: version: not an HLC timestamp/],
    ['a record without an etag', ok({ protocol: 2, records: [{ ...stored, etag: undefined }] }), /records\[0\] returned a malformed record: etag/],
    ['a record of another key', ok({ protocol: 2, records: [{ ...stored, key: 'b' }] }), /records\[0\] is key "b", asked for "a"/],
    ['too few records', ok({ protocol: 2, records: [] }), /0 records for 1 keys/],
  ])('answering %s is SYNC_PROTOCOL_ERROR', async (_name, behaviour, message) => {
    const s = await scripted(behaviour);
    const error = await errorOf(s.getMany(['a']));
    expect(error.code).toBe('SYNC_PROTOCOL_ERROR');
    expect(error.message).toMatch(/^LocalReplicaStore\.getMany: region at http:\/\/127\.0\.0\.1:\d+ broke replica protocol 2: /);
    expect(error.message).toMatch(message);
  });

  it('checks the other replies too', async () => {
    // The half of the tree that does not hold key "a".
    const OTHER_HALF = parseInt(keyHash('a')[0]!, 16) < 8 ? '8/1' : '0/1';
    const s = await scripted({ kind: 'ok' });
    const cases: Array<[unknown, () => Promise<unknown>, RegExp]> = [
      [{ protocol: 2, records: [], remaining: -1, head: 0 }, () => s.scan({ since: 0, limit: 5 }), /remaining/],
      [{ protocol: 2, records: [stored, { ...stored, seq: 1 }], remaining: 0, head: 1 }, () => s.scan({ since: 0, limit: 5 }), /records\[1\]\.seq 1 is not above 1/],
      [{ protocol: 2, applied: ['zzz'], rejected: [] }, () => s.apply([{ key: 'a', record, expected: null }]), /key "zzz" was not in the batch/],
      [{ protocol: 2, summaries: [] }, () => s.digest(['']), /0 summaries for 1 nodes/],
      [{ protocol: 2, summaries: [['nope', 1]] }, () => s.digest(['']), /summaries\.0: not a \[fingerprint, count\] summary/],
      [{ protocol: 2, summaries: [['0123456789abcdef', 0]] }, () => s.digest(['']), /not a \[fingerprint, count\] summary/],
      // A region answering in tree version 1 under the new protocol number is still refused.
      [{ protocol: 2, digests: { '': stored.etag } }, () => s.digest(['']), /summaries: /],
      [{ protocol: 2, entries: [{ key: 'a', etag: stored.etag }] }, () => s.entries([OTHER_HALF]), /entries\.0/],
      [{ protocol: 2, entries: [['a', fingerprintOf(stored.etag)]] }, () => s.entries([OTHER_HALF]), /key "a" is not in the nodes asked for/],
    ];
    for (const [body, run, message] of cases) {
      server!.queue(ok(body));
      const error = await errorOf(run());
      expect(error.code).toBe('SYNC_PROTOCOL_ERROR');
      expect(error.message).toMatch(message);
    }
  });

  it('a 400 is INVALID_ARGUMENT with the region’s message; a 503 or a reset is STORE_UNAVAILABLE', async () => {
    const s = await scripted({ kind: 'status', status: 400, body: '{"error":"keys[0] must be a string","protocol":2}' });
    const invalid = await errorOf(s.getMany(['a']));
    expect(invalid.code).toBe('INVALID_ARGUMENT');
    expect(invalid.message).toContain('refused the request: keys[0] must be a string');
    server!.set({ kind: 'status', status: 503, body: 'overloaded' });
    expect((await errorOf(s.getMany(['a']))).code).toBe('STORE_UNAVAILABLE');
    server!.set({ kind: 'reset' });
    expect((await errorOf(s.getMany(['a']))).message).toMatch(/is unavailable: (UND_ERR_SOCKET|ECONNRESET)/);
  });

  it('validates input on the client: a bad batch sends nothing', async () => {
    const s = await scripted({ kind: 'ok' });
    const good = { key: 'fine', record: replicaRecord('fine', 1), expected: null };
    const calls: Array<[() => Promise<unknown>, RegExp]> = [
      [() => s.apply([good, { key: 'v', record: { ...replicaRecord('v', 1), version: 'yesterday' }, expected: null }]), /^writes\[1\]\.record: version: not an HLC timestamp/],
      [() => s.apply([good, { key: 'other', record: replicaRecord('x', 1), expected: null }]), /record\.key "x" differs from key "other"/],
      [() => s.apply([good, { key: 'big', record: replicaRecord('big', 10n), expected: null }]), /not JSON-serializable/],
      [() => s.apply([{ key: 'e', record: null, expected: 'not-an-etag' }]), /expected must be an etag/],
      [() => s.getMany(['ok', 7 as never]), /keys\[1\] must be a string/],
      [() => s.scan({ since: 0, limit: 0 }), /scan limit must be a positive integer/],
      [() => s.digest(['ABC']), /node "ABC" is not a Merkle node name/],
      [() => s.entries(['a/4']), /node "a\/4" is not a Merkle node name/],
    ];
    for (const [run, message] of calls) {
      const error = await errorOf(run());
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toMatch(message);
    }
    const huge = Array.from({ length: 20 }, (_, i) => ({ key: `h${i}`, record: replicaRecord(`h${i}`, 'x'.repeat(1024 * 1024)), expected: null }));
    expect((await errorOf(s.apply(huge))).message).toMatch(/over a region's limit of 16777216; split the batch/);
    expect(server!.requests).toBe(0);
  });
});

describe('createLocalReplicaStore options', () => {
  const provider = createLocalProvider({ regions: [{ id: REGION, location: { lat: 0, lon: 0 } }] });

  it.each<[string, () => unknown, string]>([
    ['a timeout of 0', () => createLocalReplicaStore(provider, REGION, { timeoutMillis: 0 }), 'timeoutMillis'],
    ['an unknown region', () => createLocalReplicaStore(provider, 'mars'), 'regionId: must be a region of the provider (us-east) (got "mars")'],
    ['both a provider and an endpoint', () => createLocalReplicaStore(provider, REGION, { endpoint: 'http://127.0.0.1:1' }), 'endpoint: give either'],
    ['an endpoint with a path', () => createLocalReplicaStore({ endpoint: 'http://127.0.0.1:1/replica' }), 'endpoint: must be a base URL'],
    ['no endpoint and no provider', () => createLocalReplicaStore({} as never), 'endpoint: required'],
    ['an unknown option', () => createLocalReplicaStore(provider, REGION, { timeout: 5 } as never), 'timeout'],
  ])('refuses %s with INVALID_CONFIG', (_name, create, text) => {
    let error: unknown;
    try {
      create();
    } catch (e) {
      error = e;
    }
    expect(MeridianError.hasCode(error, 'INVALID_CONFIG')).toBe(true);
    expect((error as Error).message).toContain(text);
  });

  it('a region not deployed is STORE_UNAVAILABLE; close is idempotent and final', async () => {
    const store = createLocalReplicaStore(provider, REGION);
    const error = await errorOf(store.getMany(['a']));
    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(error.message).toBe('LocalReplicaStore.getMany: region "us-east" is unavailable: the region is not deployed');
    await store.close();
    await store.close();
    expect((await errorOf(store.scan({ since: 0, limit: 1 }))).message).toBe('LocalReplicaStore.scan: the store is closed');
  });
});
