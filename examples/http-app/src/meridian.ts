import { fileURLToPath } from 'node:url';
import { FailoverManager, HealthMonitor } from '@meridian/core';
import { GeoDatabase, GeoRouter, locateDbipCityLite } from '@meridian/georouter';
import { createLocalProvider, type LocalProvider } from '@meridian/providers-local';

/** Everything Meridian gives this app, wired once at start-up. */
export interface Meridian {
  provider: LocalProvider;
  monitor: HealthMonitor;
  failover: FailoverManager;
  router: GeoRouter;
  stop(): Promise<void>;
}

/** Options a real deployment would take from its config. */
export interface MeridianSetup {
  /** Probe interval. Default 1000 ms. */
  intervalMillis?: number;
  /** Failback hold-down. Default 10000 ms. */
  holdDownMillis?: number;
}

/**
 * Starts three regions on this machine (swap `createLocalProvider` for the Azure or
 * Kubernetes provider in production), a health monitor, a failover manager and a
 * router. Everything stops with `stop()`.
 */
export async function startMeridian(setup: MeridianSetup = {}): Promise<Meridian> {
  const provider = createLocalProvider({
    regions: [
      { id: 'us-east', location: { lat: 37.5, lon: -77.5 }, priority: 0 },
      { id: 'eu-west', location: { lat: 53.3, lon: -6.2 }, priority: 1 },
      { id: 'ap-south', location: { lat: 1.3, lon: 103.8 }, priority: 2 },
    ],
  });
  await provider.deploy({ name: 'http-app', regions: [] });
  await provider.startFrontDoor();
  const intervalMillis = setup.intervalMillis ?? 1_000;
  const monitor = new HealthMonitor({ regions: provider.regions(), intervalMillis, timeoutMillis: Math.floor(intervalMillis / 2) });
  await monitor.start();
  const failover = new FailoverManager({ regions: provider.regions(), monitor, provider, failback: { holdDownMillis: setup.holdDownMillis ?? 10_000 }, drainMillis: 200 });
  await failover.start();
  const dbip = locateDbipCityLite();
  const database = await GeoDatabase.open(dbip ?? fileURLToPath(new URL('../data/demo-city.mmdb', import.meta.url)));
  const router = new GeoRouter({ regions: provider.regions(), database, monitor, fallbackRegion: 'us-east' });
  return {
    provider,
    monitor,
    failover,
    router,
    async stop() {
      await router.close();
      await failover.close();
      await monitor.close();
      await provider.close();
    },
  };
}
