import { describe, expect, it } from 'vitest';
import { meridianErrorOf as errorOf } from '@meridian/testkit';
import { HealthMonitor } from '../health/health-monitor.js';
import { defineRegions } from '../regions/define-regions.js';
import { defineRegion } from '../regions/region.js';
import { TrafficRouter } from '../traffic/traffic-router.js';
import { endpointUrlProblem, redactUrlUserinfo } from './endpoint-url.js';
import { renderValue } from './parse-options.js';

const location = { lat: 53.3, lon: -6.3 };
const withCredentials = 'http://user:hunter2@eu-west.example.com';
// Not a URL (space in the host), still carrying user info.
const malformed = 'http://user:hunter2@eu west.example.com';

function expectNoCredentials(error: { message: string; details: unknown }): void {
  for (const text of [error.message, JSON.stringify(error.details)]) {
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('user:hunter2');
  }
}

describe('endpoint URLs with credentials', () => {
  it.each([
    ['defineRegion', () => defineRegion({ id: 'eu-west', location, endpoint: withCredentials })],
    ['defineRegions', () => defineRegions([{ id: 'eu-west', location, endpoint: withCredentials }])],
    ['HealthMonitor', () => new HealthMonitor({ regions: [{ id: 'eu-west', endpoint: withCredentials }] })],
    ['TrafficRouter', () => new TrafficRouter({ regions: [{ id: 'eu-west', endpoint: withCredentials }] })],
  ])('%s refuses a valid URL with user:password@, without echoing it', (_name, create) => {
    const error = errorOf(create);
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain('credentials do not belong in an endpoint URL');
    expect(error.message).toContain('[redacted]@eu-west.example.com');
    expectNoCredentials(error);
  });

  it('refuses a user name alone', () => {
    expect(endpointUrlProblem('https://token@eu-west.example.com')).toContain('credentials');
    expect(endpointUrlProblem('https://eu-west.example.com/a@b')).toBeUndefined();
  });

  it.each([
    ['defineRegion', () => defineRegion({ id: 'eu-west', location, endpoint: malformed })],
    ['HealthMonitor', () => new HealthMonitor({ regions: [{ id: 'eu-west', endpoint: malformed }] })],
    ['TrafficRouter', () => new TrafficRouter({ regions: [{ id: 'eu-west', endpoint: malformed }] })],
  ])('%s never echoes the user info of a malformed endpoint, in the message or in details', (_name, create) => {
    const error = errorOf(create);
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain('must be an absolute http(s) URL');
    expectNoCredentials(error);
  });
});

describe('renderValue', () => {
  it('redacts the user info of any URL-looking string, before cutting it short', () => {
    expect(renderValue(malformed)).toBe('"http://[redacted]@eu west.example.com"');
    expect(renderValue({ url: 'redis://:hunter2@cache:6379' })).toBe('{"url":"redis://[redacted]@cache:6379"}');
    const long = `https://${'u'.repeat(70)}:hunter2@${'h'.repeat(40)}.example.com`;
    expect(renderValue(long)).not.toContain('hunter2');
    expect(renderValue('https://eu-west.example.com/health')).toBe('"https://eu-west.example.com/health"');
  });

  it('redactUrlUserinfo leaves text without user info alone', () => {
    expect(redactUrlUserinfo('mail me at ops@example.com')).toBe('mail me at ops@example.com');
    expect(redactUrlUserinfo('see http://a:b@h/x and https://c@d')).toBe('see http://[redacted]@h/x and https://[redacted]@d');
  });
});
