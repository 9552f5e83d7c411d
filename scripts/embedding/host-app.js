// A host application as users write it, run from tarball installs in a fresh
// npm project (ESM as host-app.mjs, CommonJS as host-app.cjs: the same body).
// It routes an IP, listens to a failover event and sees traffic move.
async function main({ FailoverManager, HealthMonitor, MeridianError, createLocalProvider, GeoDatabase, GeoRouter, SnapshotCodec, MemorySnapshotStore, SessionMigrator, createLocalSessionAdapter, randomBytes, mmdb }) {
  const provider = createLocalProvider({
    regions: [
      { id: 'home', location: { lat: 51.5, lon: -0.1 }, priority: 0 },
      { id: 'away', location: { lat: 40.7, lon: -74.0 }, priority: 1 },
    ],
  });
  const monitor = new HealthMonitor({ intervalMillis: 100, timeoutMillis: 50, failuresBeforeUnhealthy: 2 });
  let manager;
  try {
    await provider.deploy({ name: 'embedding', regions: [] });
    const both = Promise.all(['home', 'away'].map((id) => new Promise((resolve) => monitor.on('region:healthy', (e) => e.regionId === id && resolve()))));
    for (const region of provider.regions()) monitor.add(region);
    monitor.start();
    await both;
    // A live session in 'home', moved to 'away' and back with the migrator.
    const codec = new SnapshotCodec({ keys: [{ id: 'k1', key: randomBytes(32) }] });
    const store = new MemorySnapshotStore();
    const home = provider.regions().find((r) => r.id === 'home').endpoint;
    await (await fetch(`${home}/sessions/user-1`, { method: 'PUT', body: JSON.stringify({ cart: ['book'] }) })).arrayBuffer();
    const migrator = new SessionMigrator({ adapter: createLocalSessionAdapter(provider), codec, store });
    migrator.register({ id: 'user-1', region: 'home' });
    const moved = await migrator.migrate('user-1', 'away');
    const away = provider.regions().find((r) => r.id === 'away').endpoint;
    const movedState = (await (await fetch(`${away}/sessions/user-1`)).json()).state;
    const router = new GeoRouter({ regions: provider.regions(), database: GeoDatabase.fromBuffer(mmdb), monitor });
    const before = router.route({ ip: '81.2.69.160' }).region;
    manager = new FailoverManager({ regions: provider.regions(), monitor, provider });
    await manager.start();
    const failedOver = new Promise((resolve) => manager.on('failover:completed', resolve));
    await provider.kill('home');
    const report = await failedOver;
    const after = router.route({ ip: '81.2.69.160' }).region;
    router.close();
    if (!MeridianError.isInstance(new MeridianError('INVALID_CONFIG', 'x'))) throw new Error('brand broken');
    await store.put('session:1', codec.encode({ cookies: ['sid=1'] }), { ifNoneMatch: '*' });
    const restored = codec.decode((await store.get('session:1')).bytes);
    return `routed ${before}, failover ${report.from.join(',')}->${report.to}, routed ${after}, snapshot ${restored.cookies[0]}, migrated ${moved.from}->${moved.to} with ${movedState.cart[0]}`;
  } finally {
    await manager?.stop();
    await monitor.stop();
    await provider.stop();
  }
}
