import { MeridianError } from '@meridian/core';
import { describe, expect, it } from 'vitest';
import { parseIp } from './parse-ip.js';

describe('parseIp', () => {
  it.each([
    '::ffff:81.2.69.160',
    '::FFFF:81.2.69.160',
    '::ffff:5102:45a0',
    '0:0:0:0:0:ffff:81.2.69.160',
    '0::ffff:81.2.69.160',
    '0:0::ffff:81.2.69.160',
    '0:0:0:0:0:ffff:5102:45a0',
    '0000:0000:0000:0000:0000:FFFF:5102:45A0',
    '::0:ffff:5102:45a0',
  ])('reads IPv4-mapped %s as 81.2.69.160, however it is spelled', (input) => {
    expect(parseIp(input)).toEqual({ address: '81.2.69.160', version: 4, v4: 0x510245a0 });
  });

  it('keeps plain IPv4 as given', () => {
    expect(parseIp('8.8.8.8')).toEqual({ address: '8.8.8.8', version: 4, v4: 0x08080808 });
  });

  it.each(['2a02:c7f::1', '2A02:0C7F:0000:0000:0000:0000:0000:0001', '::', '::1', '1::', '::1.2.3.4', '64:ff9b::81.2.69.160', '::fffe:5102:45a0', '0:0:0:0:1:ffff:5102:45a0', '::ffff:0:5102:45a0'])(
    'keeps %s as IPv6 (lower-cased): not in ::ffff:0:0/96',
    (input) => {
      expect(parseIp(input)).toEqual({ address: input.toLowerCase(), version: 6, v6: expect.any(Array) });
    },
  );

  it.each([
    ['2a02:c7f::1', [0x2a02, 0xc7f, 0, 0, 0, 0, 0, 1]],
    ['2A02:0C7F:0000:0000:0000:0000:0000:0001', [0x2a02, 0xc7f, 0, 0, 0, 0, 0, 1]],
    ['::', [0, 0, 0, 0, 0, 0, 0, 0]],
    ['1::', [1, 0, 0, 0, 0, 0, 0, 0]],
    ['64:ff9b::81.2.69.160', [0x64, 0xff9b, 0, 0, 0, 0, 0x5102, 0x45a0]],
    ['fe80::1:2', [0xfe80, 0, 0, 0, 0, 0, 1, 2]],
  ])('gives the groups of %s', (input, groups) => {
    expect(parseIp(input).v6).toEqual(groups);
  });

  it.each(['::ffff:01.2.69.160', '0:0:0:0:0:ffff:81.02.69.160'])('refuses %s: a dotted quad with leading zeros is ambiguous', (input) => {
    expect(() => parseIp(input)).toThrow(MeridianError);
    expect(() => parseIp(input)).toThrow(/Invalid client IP/);
  });
});
