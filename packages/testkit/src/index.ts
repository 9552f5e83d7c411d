// @meridian/testkit: harnesses for Meridian's own tests (private package).
export { getFreePort } from './port-allocator.js';
export { settle, startHealthHarness } from './health-harness.js';
export type { HealthHarness } from './health-harness.js';
export { runLeaseStoreConformance } from './lease-store-conformance.js';
export type { LeaseStoreFixture } from './lease-store-conformance.js';
export { meridianErrorOf } from './meridian-error-of.js';
export { findLeakedProcesses, isProcessAlive } from './process-leak.js';
export { collectEvents, waitForEvent } from './wait-for-event.js';
export type { EventsOf, Subscribable } from './wait-for-event.js';
export { createGate, startScriptedServer } from './scripted-server.js';
export type { Gate, ScriptedBehaviour, ScriptedServer } from './scripted-server.js';
export { writeMmdb } from './mmdb-writer.js';
export type { MmdbNetwork, MmdbValue, MmdbWriterOptions } from './mmdb-writer.js';
export { GEO_CITIES, NO_COORDINATES, dbipNetworks, geoliteNetworks, ipInV4 } from './geo-fixtures.js';
export type { GeoCity } from './geo-fixtures.js';
export { SEED_REGIONS, seedRegions } from './seed-regions.js';
export type { SeedRegion } from './seed-regions.js';
