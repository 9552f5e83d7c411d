import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegionInput } from '@meridian/core';
import { dbipNetworks, NO_COORDINATES, writeMmdb } from '@meridian/testkit';

/** The seed's four regions, with data-residency lists on two. */
export const REGIONS: RegionInput[] = [
  { id: 'us-east', location: { lat: 37.5, lon: -77.5 }, endpoint: 'http://127.0.0.1:4001', residency: ['US', 'CA'] },
  { id: 'eu-west', location: { lat: 53.3, lon: -6.2 }, endpoint: 'http://127.0.0.1:4002', residency: ['IE', 'GB', 'DE', 'FR'] },
  { id: 'ap-south', location: { lat: 1.3, lon: 103.8 }, endpoint: 'http://127.0.0.1:4003' },
  { id: 'ru-central', location: { lat: 55.7, lon: 37.6 }, endpoint: 'http://127.0.0.1:4004' },
];

/** Writes a DB-IP shaped test database to a temp file and returns its path. */
export function writeTestDb(networks = [...dbipNetworks(), NO_COORDINATES]): string {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-geo-'));
  const path = join(dir, 'test-city.mmdb');
  writeFileSync(path, writeMmdb({ networks }));
  return path;
}
