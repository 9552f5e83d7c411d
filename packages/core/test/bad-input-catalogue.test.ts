// The inputs users get wrong, fed to every public entry point: each must fail
// with a coded MeridianError whose message names the problem, and change nothing.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CrossRegionSync,
  defineRegions,
  FailoverManager,
  FileReplicaStore,
  HealthMonitor,
  HybridLogicalClock,
  ManualClock,
  MemoryReplicaStore,
  MeridianError,
  MultiRegionDeployer,
  ReplicaWriter,
  selectRegions,
  type MeridianErrorCode,
} from '@meridian/core';
import { decodeBatch, encodeBatch, validateTrafficWeights } from '@meridian/core/spi';
import { GeoDatabase, GeoRouter, parseIp } from '@meridian/georouter';
import { createLocalProvider } from '@meridian/providers-local';
import { SnapshotCodec } from '@meridian/session-migration';
import { seedRegions } from '@meridian/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../cli/src/config/load-config.js';
import { parseDuration } from '../../cli/src/duration.js';

interface Case {
  name: string;
  run: () => unknown;
  code: MeridianErrorCode;
  message: RegExp;
}

const regions = seedRegions(2);
const clock = new ManualClock(0);
const provider = createLocalProvider({ regions });
const monitor = new HealthMonitor({ regions: defineRegions(regions.map((r) => ({ ...r, endpoint: 'http://127.0.0.1:9' }))), clock });
const key = randomBytes(32);
const codec = new SnapshotCodec({ keys: [{ id: 'k1', key }] });
const snapshot = codec.encode({ user: 'ada', cart: ['book'] });
const twoStores = () => [
  { id: 'us-east', store: new MemoryReplicaStore() },
  { id: 'eu-west', store: new MemoryReplicaStore() },
];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meridian-bad-input-'));
});
afterAll(async () => {
  await monitor.stop();
  await provider.stop();
  await rm(dir, { recursive: true, force: true });
});

const CASES: Case[] = [
  // Regions
  { name: 'region id with capitals', run: () => defineRegions([{ id: 'US_East', location: { lat: 0, lon: 0 }, endpoint: 'http://a.test' }]), code: 'INVALID_CONFIG', message: /\[0\]\.id: must match/ },
  { name: 'latitude out of range', run: () => defineRegions([{ id: 'a', location: { lat: 123, lon: 0 }, endpoint: 'http://a.test' }]), code: 'INVALID_CONFIG', message: /location\.lat/ },
  { name: 'endpoint that is not http(s)', run: () => defineRegions([{ id: 'a', location: { lat: 0, lon: 0 }, endpoint: 'ftp://a.test' }]), code: 'INVALID_CONFIG', message: /endpoint: must be an absolute http\(s\) URL/ },
  { name: 'duplicate region ids', run: () => defineRegions([...Array(2)].map(() => ({ id: 'a', location: { lat: 0, lon: 0 }, endpoint: 'http://a.test' }))), code: 'INVALID_CONFIG', message: /duplicate|unique/i },
  { name: 'residency that is not a country code', run: () => defineRegions([{ id: 'a', location: { lat: 0, lon: 0 }, endpoint: 'http://a.test', residency: ['Germany'] }]), code: 'INVALID_CONFIG', message: /residency\[0\]: must be an ISO 3166-1 alpha-2/ },
  // Health and failover
  { name: 'negative probe interval', run: () => new HealthMonitor({ regions: [], intervalMillis: -5 }), code: 'INVALID_CONFIG', message: /intervalMillis/ },
  { name: 'unknown HealthMonitor option (a typo)', run: () => new HealthMonitor({ regions: [], intervallMillis: 5 } as never), code: 'INVALID_CONFIG', message: /intervallMillis/ },
  { name: 'lease renewed slower than it expires', run: () => new FailoverManager({ regions: regions.map((r) => ({ ...r, weight: 1, priority: 0 })), monitor, provider, leaseTtlMillis: 1000, leaseRenewMillis: 2000 }), code: 'INVALID_CONFIG', message: /leaseRenewMillis must be smaller than leaseTtlMillis/ },
  { name: 'unknown failover mode', run: () => new FailoverManager({ regions: regions.map((r) => ({ ...r, weight: 1, priority: 0 })), monitor, provider, mode: 'round-robin' as never }), code: 'INVALID_CONFIG', message: /mode/ },
  { name: 'traffic weight for an unknown region', run: () => validateTrafficWeights({ 'mars-1': 100 }, ['us-east']), code: 'INVALID_CONFIG', message: /mars-1: unknown region \(known: us-east\)/ },
  { name: 'negative traffic weight', run: () => validateTrafficWeights({ 'us-east': -1 }, ['us-east']), code: 'INVALID_CONFIG', message: /us-east: must be a finite number >= 0/ },
  { name: 'all-zero traffic weights', run: () => validateTrafficWeights({ 'us-east': 0 }, ['us-east']), code: 'INVALID_CONFIG', message: /must sum to a positive number/ },
  { name: 'fault on an unknown region', run: () => provider.slow('mars-1', 10), code: 'REGION_NOT_FOUND', message: /mars-1/ },
  { name: 'negative slow-down', run: () => provider.slow(regions[0]!.id, -5), code: 'INVALID_CONFIG', message: /ms: must be a finite number >= 0/ },
  { name: 'failure rate above 1', run: () => provider.failRate(regions[0]!.id, 2), code: 'INVALID_CONFIG', message: /fraction: must be between 0 and 1/ },
  // Routing
  { name: 'malformed IPv4', run: () => parseIp('999.1.1.1'), code: 'INVALID_ARGUMENT', message: /999\.1\.1\.1/ },
  { name: 'malformed IPv6', run: () => parseIp('2001:db8::zz'), code: 'INVALID_ARGUMENT', message: /2001:db8::zz/ },
  { name: 'IP that is not a string', run: () => parseIp(42), code: 'INVALID_ARGUMENT', message: /must be a string/ },
  { name: 'GeoIP database that is not an MMDB', run: () => GeoDatabase.fromBuffer(Buffer.from('definitely not maxmind')), code: 'GEO_DATABASE_ERROR', message: /./ },
  { name: 'GeoIP database file missing', run: () => GeoDatabase.open(join(tmpdir(), 'no-such-city.mmdb')), code: 'GEO_DATABASE_ERROR', message: /no-such-city\.mmdb/ },
  // Snapshots
  { name: 'snapshot truncated', run: () => codec.decode(snapshot.subarray(0, snapshot.length - 7)), code: 'SNAPSHOT_CORRUPT', message: /./ },
  { name: 'snapshot tampered (one byte flipped)', run: () => codec.decode(Buffer.from(snapshot).fill(snapshot[snapshot.length - 3]! ^ 0xff, snapshot.length - 3, snapshot.length - 2)), code: 'SNAPSHOT_CORRUPT', message: /./ },
  { name: 'snapshot encrypted with a key we do not have', run: () => new SnapshotCodec({ keys: [{ id: 'k2', key: randomBytes(32) }] }).decode(snapshot), code: 'SNAPSHOT_CORRUPT', message: /k1/ },
  { name: 'snapshot over the size limit', run: () => new SnapshotCodec({ keys: [{ id: 'k1', key }], maxBytes: 1024 }).encode({ blob: 'x'.repeat(5000) }), code: 'SNAPSHOT_TOO_LARGE', message: /1024/ },
  { name: 'encryption key of the wrong length', run: () => new SnapshotCodec({ keys: [{ id: 'k1', key: randomBytes(16) }] }), code: 'INVALID_CONFIG', message: /must be a 32-byte Buffer/ },
  // Sync
  { name: 'sync with one region', run: () => new CrossRegionSync({ regions: twoStores().slice(0, 1) }), code: 'INVALID_CONFIG', message: /sync needs at least two regions/ },
  { name: 'unknown conflict policy', run: () => new CrossRegionSync({ regions: twoStores(), conflictPolicy: 'newest' as never }), code: 'INVALID_CONFIG', message: /conflictPolicy/ },
  { name: 'negative sync interval', run: () => new CrossRegionSync({ regions: twoStores(), intervalMillis: -1 }), code: 'INVALID_CONFIG', message: /intervalMillis/ },
  { name: 'primary that is not a region', run: () => new CrossRegionSync({ regions: twoStores(), mode: 'active-passive', primary: 'mars-1' }), code: 'INVALID_CONFIG', message: /primary: unknown region/ },
  { name: 'key that is not a string', run: () => new ReplicaWriter({ regionId: 'us-east', store: new MemoryReplicaStore() }).put(7 as never, 1), code: 'INVALID_ARGUMENT', message: /key must be a string, got number/ },
  { name: 'value over maxValueBytes', run: () => new ReplicaWriter({ regionId: 'us-east', store: new MemoryReplicaStore(), maxValueBytes: 10 }).put('k', 'x'.repeat(20)), code: 'VALUE_TOO_LARGE', message: /"k" is 22 bytes, over the limit of 10/ },
  { name: 'write to an unknown region', run: () => new CrossRegionSync({ regions: twoStores() }).write('mars-1', 'k', 1), code: 'REGION_NOT_FOUND', message: /unknown region "mars-1"; sync knows us-east, eu-west/ },
  { name: 'remote clock far in the future', run: () => new HybridLogicalClock({ node: 'a', clock: new ManualClock(0) }).receive('000000000060000.000000.b'), code: 'CLOCK_SKEW', message: /60000 ms ahead/ },
  { name: 'sync frame of another protocol version', run: async () => { const { frame } = await encodeBatch([]); frame[4] = 9; return decodeBatch(frame, { maxRawBytes: 1e6, source: 'eu-west' }); }, code: 'SYNC_PROTOCOL_ERROR', message: /protocol version 9/ },
  { name: 'replica directory that is an empty path', run: () => FileReplicaStore.open(''), code: 'INVALID_CONFIG', message: /directory/ },
  // Deploy and placement
  { name: 'override for a region not in the spec', run: () => new MultiRegionDeployer({ provider }).deploy({ spec: { name: 'web', regions: ['us-east'], overrides: { 'mars-1': { replicas: 1 } } } }), code: 'INVALID_CONFIG', message: /overrides\.mars-1: not one of the spec's regions/ },
  { name: 'time zone that does not exist', run: () => new MultiRegionDeployer({ provider }).deploy({ spec: { name: 'web', regions: ['us-east'], overrides: { 'us-east': { timezone: 'Mars/Olympus' } } } }), code: 'INVALID_CONFIG', message: /timezone: must be an IANA time zone/ },
  { name: 'negative replicas', run: () => new MultiRegionDeployer({ provider }).deploy({ spec: { name: 'web', regions: ['us-east'], overrides: { 'us-east': { replicas: -1 } } } }), code: 'INVALID_CONFIG', message: /replicas/ },
  { name: 'unknown deploy strategy', run: () => new MultiRegionDeployer({ provider }).deploy({ spec: { name: 'web', regions: ['us-east'] }, strategy: 'blue-green' as never }), code: 'INVALID_CONFIG', message: /strategy/ },
  { name: 'resume from something that is not a deployment state', run: () => new MultiRegionDeployer({ provider }).resume({ id: 'x' } as never), code: 'INVALID_ARGUMENT', message: /not a resumable deployment state/ },
  { name: 'placement of zero regions', run: () => selectRegions({ count: 0, from: [{ id: 'a', location: { lat: 0, lon: 0 } }] }), code: 'INVALID_CONFIG', message: /count/ },
  { name: 'placement with a negative cost limit', run: () => selectRegions({ count: 1, from: [{ id: 'a', location: { lat: 0, lon: 0 } }], maxCostPerHour: -1 }), code: 'INVALID_CONFIG', message: /maxCostPerHour/ },
];

describe('bad input catalogue', () => {
  it(`has at least 30 cases (has ${CASES.length})`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
  });

  for (const c of CASES) {
    it(`${c.name} → ${c.code}`, async () => {
      let error: unknown;
      try {
        await c.run();
      } catch (e) {
        error = e;
      }
      expect(MeridianError.isInstance(error), `expected a MeridianError, got ${String(error)}`).toBe(true);
      expect((error as MeridianError).code).toBe(c.code);
      expect((error as MeridianError).message).toMatch(c.message);
      // No secret in a message: the key bytes never appear.
      expect((error as MeridianError).message).not.toContain(key.toString('hex'));
    });
  }

  it('GeoRouter: a malformed client IP and an unknown preferred region', async () => {
    const router = new GeoRouter({ regions: defineRegions(regions.map((r) => ({ ...r, endpoint: 'http://127.0.0.1:9' }))), database: GeoDatabase.fromBuffer((await import('@meridian/testkit')).writeMmdb({ networks: [] })) });
    expect(() => router.route({ ip: '300.0.0.1' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => router.route({ ip: '8.8.8.8', preferredRegion: 'mars-1' })).toThrow(expect.objectContaining({ code: 'REGION_NOT_FOUND' }));
    router.close();
  });

  it('config files: YAML and JSON syntax errors, wrong values and typos name the file, line and path', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['meridian.config.yaml', 'app: { name: shop\nregions: [', /meridian\.config\.yaml:\d+:\d+/],
      ['meridian.config.json', '{ "app": { "name": "shop" }, }', /meridian\.config\.json:1:\d+/],
      ['meridian.config.yaml', 'app: { name: shop }\nprovider: { kind: local }\nregions:\n  - id: us-east\n    location: { lat: 123, lon: 0 }\n', /meridian\.config\.yaml:5:\d+: regions\[0\]\.location\.lat/],
      ['meridian.config.yaml', 'app: { name: shop }\nprovider: { kind: cloud9 }\nregions:\n  - { id: us-east, location: { lat: 1, lon: 0 } }\n', /meridian\.config\.yaml:2:\d+: provider\.kind/],
      ['meridian.config.yaml', 'app: { name: shop }\nprovider: { kind: local }\nregions:\n  - { id: us-east, lattitude: 3, location: { lat: 1, lon: 0 } }\n', /lattitude/],
    ];
    for (const [name, text, pattern] of cases) {
      const where = await mkdtemp(join(dir, 'cfg-'));
      await writeFile(join(where, name), text);
      const error = await loadConfig({ cwd: where }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, `${name}: ${text}`).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(pattern);
    }
  });

  it('durations: negative, unit-less and unknown units are refused with what was given', () => {
    for (const text of ['-5m', '5', '5x', '', '1m-30s']) {
      expect(() => parseDuration(text, '--duration')).toThrow(new RegExp(`--duration: "${text.replace(/[-]/g, '\\-')}" is not a duration`));
    }
    expect(parseDuration('1m30s')).toBe(90_000);
  });
});
