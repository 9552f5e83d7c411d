// The writer is checked with the real reader: every inserted network answers
// with its record at its first and last address, and addresses outside do not.
import { Reader } from 'maxmind';
import { describe, expect, it } from 'vitest';
import { GEO_CITIES, NO_COORDINATES, dbipNetworks, geoliteNetworks, ipInV4 } from './geo-fixtures.js';
import { writeMmdb } from './mmdb-writer.js';

function lastV4(cidr: string): string {
  const length = Number(cidr.split('/')[1]);
  return ipInV4(cidr, 2 ** (32 - length) - 1);
}

describe('writeMmdb', () => {
  for (const recordSize of [24, 28, 32] as const) {
    it(`writes an IPv6 tree with IPv4 networks (record size ${recordSize}) that maxmind reads`, () => {
      const reader = new Reader<Record<string, unknown>>(writeMmdb({ recordSize, networks: [...dbipNetworks(), NO_COORDINATES] }));
      expect(reader.metadata.ipVersion).toBe(6);
      expect(reader.metadata.recordSize).toBe(recordSize);
      expect(reader.metadata.databaseType).toBe('Meridian-Test-City');
      for (const c of GEO_CITIES) {
        const expected = { city: c.city, country_code: c.countryCode, latitude: c.lat, longitude: c.lon };
        expect(reader.get(ipInV4(c.v4, 0))).toMatchObject(expected);
        expect(reader.get(lastV4(c.v4))).toMatchObject(expected);
        expect(reader.get(c.v6.split('/')[0]!.replace(/::$/, '::1'))).toMatchObject(expected);
        expect(reader.get(`::ffff:${ipInV4(c.v4, 1)}`)).toMatchObject(expected);
      }
      expect(reader.get('5.5.5.5')).toEqual({ country_code: 'XX' });
      // Outside every network.
      for (const ip of ['4.4.4.4', '8.8.9.1', '200.1.1.1', '2a03::1', '127.0.0.1']) expect(reader.get(ip)).toBeNull();
      expect(reader.get(ipInV4('81.2.69.0/24', 256))).toBeNull();
    });
  }

  it('writes GeoLite2-shaped nested records', () => {
    const reader = new Reader<Record<string, unknown>>(writeMmdb({ networks: geoliteNetworks() }));
    const london = reader.get('81.2.69.160') as { location: { latitude: number }; country: { iso_code: string } } | null;
    expect(london?.location.latitude).toBe(51.51);
    expect(london?.country.iso_code).toBe('GB');
  });

  it('writes an IPv4-only tree', () => {
    const reader = new Reader<Record<string, unknown>>(writeMmdb({ ipVersion: 4, networks: dbipNetworks().filter((n) => !n.cidr.includes(':')) }));
    expect(reader.metadata.ipVersion).toBe(4);
    expect(reader.get('126.1.2.3')?.city).toBe('Tokyo');
    expect(reader.get('9.9.9.9')).toBeNull();
  });

  it('nests a narrower network inside a broader one', () => {
    const reader = new Reader<Record<string, unknown>>(writeMmdb({ networks: [{ cidr: '10.0.0.0/8', data: { n: 'broad' } }, { cidr: '10.1.2.0/24', data: { n: 'narrow' } }] }));
    expect(reader.get('10.1.2.3')?.n).toBe('narrow');
    expect(reader.get('10.1.3.3')?.n).toBe('broad');
    expect(reader.get('10.200.0.1')?.n).toBe('broad');
  });
});
