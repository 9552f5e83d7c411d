// The fake kube-apiserver, fake ARM and fake Retail Prices API are loaded when a
// test first starts one, not when it imports @meridian/testkit: their routers,
// handlers, TLS and YAML helpers cost about 0.2 s per test file, and most test
// files only want a free port or an event waiter from the testkit.
import type { FakeArm, FakeArmOptions } from './arm/fake-arm.js';
import type { FakeRetailPrices, FakeRetailPricesOptions } from './arm/fake-retail-prices.js';
import type { FakeKubeApiServer, FakeKubeApiServerOptions } from './kube/fake-kube-apiserver.js';

/**
 * Starts an in-process fake kube-apiserver on 127.0.0.1 with its own CA,
 * bearer-token auth, discovery, the core/apps/coordination/apiextensions
 * types, CRDs, watch, the four patch types with server-side apply, a
 * Deployment controller and fault injection. Each call is an independent
 * cluster. `close()` it when done.
 */
export async function startFakeKubeApiServer(options?: FakeKubeApiServerOptions): Promise<FakeKubeApiServer> {
  return (await import('./kube/fake-kube-apiserver.js')).startFakeKubeApiServer(options);
}

/**
 * Starts an in-process fake Azure Resource Manager and Entra ID token endpoint
 * on https://127.0.0.1 with its own CA, for the official `@azure/arm-*` and
 * `@azure/identity` clients. `close()` it when done.
 */
export async function startFakeArm(options?: FakeArmOptions): Promise<FakeArm> {
  return (await import('./arm/fake-arm.js')).startFakeArm(options);
}

/** Starts a fake Azure Retail Prices API (`$filter` with eq/and/or, `$skip` paging through `NextPageLink`). `close()` it when done. */
export async function startFakeRetailPrices(options?: FakeRetailPricesOptions): Promise<FakeRetailPrices> {
  return (await import('./arm/fake-retail-prices.js')).startFakeRetailPrices(options);
}
