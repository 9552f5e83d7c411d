import { describe, expect, it } from 'vitest';
import { MeridianError } from '../errors/meridian-error.js';
import { selectRegions, type PlacementCandidate } from './placement.js';

const REGIONS: PlacementCandidate[] = [
  { id: 'us-east', location: { lat: 37.5, lon: -77.5 }, residency: ['US'] },
  { id: 'us-west', location: { lat: 37.8, lon: -122.4 }, residency: ['US'] },
  { id: 'eu-west', location: { lat: 53.3, lon: -6.2 }, residency: ['IE', 'DE', 'FR'] },
  { id: 'eu-central', location: { lat: 50.1, lon: 8.7 }, residency: ['DE', 'FR'] },
  { id: 'eu-north', location: { lat: 59.3, lon: 18.1 }, residency: ['SE', 'DE'] },
  { id: 'ap-south', location: { lat: 1.3, lon: 103.8 } },
  { id: 'ap-east', location: { lat: 22.3, lon: 114.2 } },
];
const PRICES = [
  { regionId: 'us-east', hourly: 0.096, currency: 'USD' },
  { regionId: 'us-west', hourly: 0.104, currency: 'USD' },
  { regionId: 'eu-west', hourly: 0.107, currency: 'USD' },
  { regionId: 'eu-central', hourly: 0.115, currency: 'USD' },
  { regionId: 'eu-north', hourly: 0.099, currency: 'USD' },
  { regionId: 'ap-south', hourly: 0.12, currency: 'USD' },
  { regionId: 'ap-east', hourly: 0.18, currency: 'USD' },
];
const EUROPEANS = [
  { lat: 48.86, lon: 2.35 }, // Paris
  { lat: 52.52, lon: 13.4 }, // Berlin
  { lat: 40.42, lon: -3.7 }, // Madrid
  { lat: 51.51, lon: -0.13 }, // London
  { lat: 41.9, lon: 12.5 }, // Rome
  { lat: 59.33, lon: 18.07 }, // Stockholm
];

describe('selectRegions', () => {
  it('a European user population picks European regions, with the reasons', () => {
    const placement = selectRegions({ count: 2, from: REGIONS, near: EUROPEANS, prices: PRICES });
    expect(placement.picks.map((p) => p.regionId).every((id) => id.startsWith('eu-'))).toBe(true);
    expect(placement.meanDistanceKm).toBeLessThan(800);
    expect(placement.picks[0]!.reasons.join('; ')).toMatch(/nearest pick for \d+% of users, mean \d+ km; 0\.\d+ USD\/h; \d+ km from the nearest other pick/);
    expect(placement.picks.reduce((n, p) => n + p.usersShare, 0)).toBeCloseTo(1);
    expect(placement.rejected.map((r) => r.regionId)).toContain('us-west');
  });

  it('maxCostPerHour leaves out dearer regions (and unpriced ones), saying why', () => {
    const asia = [{ lat: 35.7, lon: 139.7 }, { lat: 31.2, lon: 121.5 }, { lat: 22.3, lon: 114.2 }];
    expect(selectRegions({ count: 1, from: REGIONS, near: asia, prices: PRICES }).picks[0]!.regionId).toBe('ap-east');
    const cheap = selectRegions({ count: 1, from: REGIONS, near: asia, prices: PRICES, maxCostPerHour: 0.15 });
    expect(cheap.picks[0]!.regionId).toBe('ap-south');
    expect(cheap.rejected).toContainEqual({ regionId: 'ap-east', reason: '0.18 USD/h is over maxCostPerHour=0.15' });
    const unpriced = selectRegions({ count: 1, from: REGIONS, near: asia, prices: PRICES.slice(0, 6), maxCostPerHour: 1 });
    expect(unpriced.rejected).toContainEqual({ regionId: 'ap-east', reason: 'no price known, and maxCostPerHour=1 is set' });
  });

  it('residency restricts the candidates to regions that admit every country asked for', () => {
    const placement = selectRegions({ count: 2, from: REGIONS, near: EUROPEANS, residency: ['DE'] });
    for (const pick of placement.picks) expect(['eu-west', 'eu-central', 'eu-north']).toContain(pick.regionId);
    expect(placement.rejected).toContainEqual({ regionId: 'ap-south', reason: 'residency does not admit DE' });
    expect(() => selectRegions({ count: 2, from: REGIONS, residency: ['SE'] })).toThrow(MeridianError);
  });

  it('minDistanceKm spreads the picks', () => {
    const packed = selectRegions({ count: 2, from: REGIONS, near: EUROPEANS });
    const spread = selectRegions({ count: 2, from: REGIONS, near: EUROPEANS, minDistanceKm: 1_500 });
    const ids = (p: typeof packed) => p.picks.map((x) => x.regionId);
    expect(ids(packed).every((id) => id.startsWith('eu-'))).toBe(true);
    expect(ids(spread).some((id) => !id.startsWith('eu-'))).toBe(true);
    expect(spread.rejected.some((r) => /under minDistanceKm=1500/.test(r.reason))).toBe(true);
    // No users at all: picks are spread as far apart as possible.
    const far = selectRegions({ count: 3, from: REGIONS });
    expect(new Set(far.picks.map((p) => p.regionId.split('-')[0])).size).toBe(3);
  });

  it('resolves IPs through locate, and names bad input', () => {
    const where: Record<string, { lat: number; lon: number }> = { '81.2.69.160': { lat: 51.5, lon: -0.1 } };
    const placement = selectRegions({ count: 1, from: REGIONS, near: ['81.2.69.160', { at: '81.2.69.160', weight: 3 }], locate: (ip) => where[ip] });
    expect(placement.picks[0]!.regionId).toBe('eu-west');
    expect(() => selectRegions({ count: 1, from: REGIONS, near: ['81.2.69.160'] })).toThrow(/needs a locate function/);
    expect(() => selectRegions({ count: 1, from: REGIONS, near: ['10.0.0.1'], locate: () => undefined })).toThrow(/no location known for "10.0.0.1"/);
    expect(() => selectRegions({ count: 0, from: REGIONS })).toThrow(/count/);
    expect(() => selectRegions({ count: 9, from: REGIONS })).toThrow(/only 7 of 9 regions can be picked/);
  });
});
