import type { MmdbNetwork } from './mmdb-writer.js';

/** A test city: one network per city, with real coordinates (public documentation-free ranges). */
export interface GeoCity {
  /** A public IPv4 network. */
  v4: string;
  /** A public IPv6 network. */
  v6: string;
  city: string;
  countryCode: string;
  continent: string;
  lat: number;
  lon: number;
}

/** Cities on every continent, on real public ranges of ISPs there, for routing tests and the demo. */
export const GEO_CITIES: GeoCity[] = [
  { v4: '3.0.0.0/15', v6: '2600:1f00::/24', city: 'Ashburn', countryCode: 'US', continent: 'NA', lat: 39.04, lon: -77.49 },
  { v4: '8.8.8.0/24', v6: '2001:4860::/32', city: 'Mountain View', countryCode: 'US', continent: 'NA', lat: 37.39, lon: -122.08 },
  { v4: '99.224.0.0/11', v6: '2607:fea8::/32', city: 'Toronto', countryCode: 'CA', continent: 'NA', lat: 43.65, lon: -79.38 },
  { v4: '81.2.69.0/24', v6: '2a02:c7f::/32', city: 'London', countryCode: 'GB', continent: 'EU', lat: 51.51, lon: -0.13 },
  { v4: '86.40.0.0/13', v6: '2001:bb6::/32', city: 'Dublin', countryCode: 'IE', continent: 'EU', lat: 53.35, lon: -6.26 },
  { v4: '85.214.0.0/15', v6: '2a01:238::/32', city: 'Berlin', countryCode: 'DE', continent: 'EU', lat: 52.52, lon: 13.4 },
  { v4: '90.0.0.0/9', v6: '2a01:cb00::/24', city: 'Paris', countryCode: 'FR', continent: 'EU', lat: 48.86, lon: 2.35 },
  { v4: '95.24.0.0/13', v6: '2a02:6b8::/32', city: 'Moscow', countryCode: 'RU', continent: 'EU', lat: 55.76, lon: 37.62 },
  { v4: '203.116.0.0/16', v6: '2406:3000::/24', city: 'Singapore', countryCode: 'SG', continent: 'AS', lat: 1.29, lon: 103.85 },
  { v4: '49.204.0.0/14', v6: '2401:4900::/32', city: 'Mumbai', countryCode: 'IN', continent: 'AS', lat: 19.08, lon: 72.88 },
  { v4: '126.0.0.0/8', v6: '2400:4050::/32', city: 'Tokyo', countryCode: 'JP', continent: 'AS', lat: 35.68, lon: 139.69 },
  { v4: '1.128.0.0/11', v6: '2001:8000::/20', city: 'Sydney', countryCode: 'AU', continent: 'OC', lat: -33.87, lon: 151.21 },
  { v4: '177.0.0.0/10', v6: '2804:14c::/32', city: 'São Paulo', countryCode: 'BR', continent: 'SA', lat: -23.55, lon: -46.63 },
  { v4: '41.0.0.0/11', v6: '2c0f:f8f0::/32', city: 'Johannesburg', countryCode: 'ZA', continent: 'AF', lat: -26.2, lon: 28.05 },
  { v4: '197.32.0.0/13', v6: '2c0f:fc88::/32', city: 'Cairo', countryCode: 'EG', continent: 'AF', lat: 30.04, lon: 31.24 },
];

/** A network with a record but no coordinates (some DB records are country-only). */
export const NO_COORDINATES: MmdbNetwork = { cidr: '5.5.5.0/24', data: { country_code: 'XX' } };

/** DB-IP City Lite shaped records (flat). */
export function dbipNetworks(cities: GeoCity[] = GEO_CITIES): MmdbNetwork[] {
  return cities.flatMap((c) =>
    [c.v4, c.v6].map((cidr) => ({
      cidr,
      data: { city: c.city, country_code: c.countryCode, state1: '', latitude: c.lat, longitude: c.lon },
    })),
  );
}

/** MaxMind GeoLite2-City shaped records (nested). */
export function geoliteNetworks(cities: GeoCity[] = GEO_CITIES): MmdbNetwork[] {
  return cities.flatMap((c) =>
    [c.v4, c.v6].map((cidr) => ({
      cidr,
      data: {
        city: { names: { en: c.city } },
        continent: { code: c.continent },
        country: { iso_code: c.countryCode, names: { en: c.countryCode } },
        location: { latitude: c.lat, longitude: c.lon, accuracy_radius: 50 },
      },
    })),
  );
}

/** The first address of an IPv4 CIDR plus `offset`. */
export function ipInV4(cidr: string, offset = 1): string {
  const [base] = cidr.split('/');
  const n = base!.split('.').reduce((acc, part) => acc * 256 + Number(part), 0) + offset;
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}
