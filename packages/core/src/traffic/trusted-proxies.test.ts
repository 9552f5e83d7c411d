import { describe, expect, it } from 'vitest';
import { MeridianError } from '../errors/meridian-error.js';
import { TrustedProxies } from './trusted-proxies.js';

describe('TrustedProxies', () => {
  const proxies = TrustedProxies.parse(['10.0.0.0/8', '192.0.2.7', 'fd00::/8', '::1']);

  it('matches addresses and ranges of both families, IPv4-mapped IPv6 as IPv4', () => {
    expect(proxies.has('10.1.2.3')).toBe(true);
    expect(proxies.has('::ffff:10.1.2.3')).toBe(true);
    expect(proxies.has('192.0.2.7')).toBe(true);
    expect(proxies.has('192.0.2.8')).toBe(false);
    expect(proxies.has('fd12::1')).toBe(true);
    expect(proxies.has('::1')).toBe(true);
    expect(proxies.has('2001:db8::1')).toBe(false);
    expect(proxies.has('not an ip')).toBe(false);
  });

  it('believes X-Forwarded-For only from a trusted peer, walking from the right past trusted hops', () => {
    // A direct client: its header is ignored, whatever it claims.
    expect(proxies.clientAddress('203.0.113.9', '81.2.69.160')).toBe('203.0.113.9');
    // Through one trusted proxy.
    expect(proxies.clientAddress('10.0.0.5', '81.2.69.160')).toBe('81.2.69.160');
    // A client that prepends a spoofed hop: the proxy appended the real one, which wins.
    expect(proxies.clientAddress('10.0.0.5', '1.1.1.1, 81.2.69.160')).toBe('81.2.69.160');
    // Two trusted proxies in a row, as an array header and with ports.
    expect(proxies.clientAddress('::ffff:10.0.0.5', ['81.2.69.160:5123', '192.0.2.7'])).toBe('81.2.69.160');
    expect(proxies.clientAddress('::1', '[2001:db8::5]:443')).toBe('2001:db8::5');
    // Nothing but trusted hops: the left-most one is the best we know.
    expect(proxies.clientAddress('10.0.0.5', '10.9.9.9')).toBe('10.9.9.9');
    // A malformed hop ends the walk at the last trusted address.
    expect(proxies.clientAddress('10.0.0.5', 'garbage, 192.0.2.7')).toBe('192.0.2.7');
    expect(proxies.clientAddress('10.0.0.5', undefined)).toBe('10.0.0.5');
  });

  it('an empty list trusts nobody', () => {
    const none = TrustedProxies.parse([]);
    expect(none.clientAddress('127.0.0.1', '81.2.69.160')).toBe('127.0.0.1');
  });

  it('refuses entries that are not IPs or CIDRs, naming each', () => {
    let error: unknown;
    try {
      TrustedProxies.parse(['10.0.0.0/8', '10.0.0.0/33', 'example.com', '::1/129', '1.2.3.4/8/9', 7 as never]);
    } catch (e) {
      error = e;
    }
    expect(MeridianError.hasCode(error, 'INVALID_CONFIG')).toBe(true);
    const message = (error as Error).message;
    for (const path of ['trustedProxies[1]', 'trustedProxies[2]', 'trustedProxies[3]', 'trustedProxies[4]', 'trustedProxies[5]']) expect(message).toContain(path);
    expect(message).not.toContain('trustedProxies[0]');
  });
});
