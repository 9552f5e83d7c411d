import { describe, expect, it } from 'vitest';
import { meridianErrorOf as errorOf } from '@meridian/testkit';
import { defineRegions } from './define-regions.js';
import { findRegion } from './find-region.js';
import { defineRegion } from './region.js';

const usEast = { id: 'us-east', location: { lat: 37.5, lon: -77.5 }, endpoint: 'https://us-east.example.com' };

describe('defineRegion', () => {
  it('fills documented defaults', () => {
    expect(defineRegion(usEast)).toEqual({ ...usEast, provider: 'local', weight: 100, priority: 0, labels: {} });
  });

  it.each([
    ['id', { ...usEast, id: 'US_East' }, 'id'],
    ['id too long', { ...usEast, id: `a${'b'.repeat(63)}` }, 'id'],
    ['latitude', { ...usEast, location: { lat: 91, lon: 0 } }, 'location.lat'],
    ['longitude', { ...usEast, location: { lat: 0, lon: -181 } }, 'location.lon'],
    ['endpoint not a URL', { ...usEast, endpoint: 'us-east.example.com' }, 'endpoint'],
    ['endpoint not http', { ...usEast, endpoint: 'ftp://x.example.com' }, 'endpoint'],
    ['weight zero', { ...usEast, weight: 0 }, 'weight'],
    ['priority fractional', { ...usEast, priority: 1.5 }, 'priority'],
    ['residency lowercase', { ...usEast, residency: ['de'] }, 'residency[0]'],
    ['unknown field', { ...usEast, wieght: 3 }, '(root)'],
  ])('refuses a bad %s naming the path', (_name, input, path) => {
    const error = errorOf(() => defineRegion(input as never));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain(`${path}:`);
  });
});

describe('defineRegions', () => {
  it('refuses duplicate ids, naming the index of both', () => {
    const error = errorOf(() => defineRegions([usEast, { ...usEast, endpoint: 'https://b.example.com' }]));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain('[1].id: duplicate region id (first at [0])');
  });

  it('reports every bad region at once', () => {
    const error = errorOf(() => defineRegions([{ ...usEast, endpoint: 'nope' }, { ...usEast, id: 'eu-west', location: { lat: 100, lon: 0 } }]));
    expect(error.message).toContain('[0].endpoint');
    expect(error.message).toContain('[1].location.lat');
  });

  it('refuses an empty list', () => {
    expect(errorOf(() => defineRegions([])).code).toBe('INVALID_CONFIG');
  });
});

describe('findRegion', () => {
  it('throws REGION_NOT_FOUND listing known ids', () => {
    const error = errorOf(() => findRegion([{ id: 'a' }, { id: 'b' }], 'c'));
    expect(error.code).toBe('REGION_NOT_FOUND');
    expect(error.message).toContain('known regions: a, b');
  });
});
