import { isIPv4, isIPv6 } from 'node:net';
import { MeridianError } from '@meridian/core';

/** A validated client address. */
export interface ParsedIp {
  /** The address to look up: dotted IPv4 (also for IPv4-mapped IPv6, however spelled), or IPv6 lower-cased. */
  address: string;
  /** 4 or 6 (an IPv4-mapped IPv6 address is 4). */
  version: 4 | 6;
  /** IPv4 only: the address as an unsigned 32-bit number. */
  v4?: number;
  /** IPv6 only: the eight 16-bit groups (what the geo database's tree walk reads, so the text is not parsed twice). */
  v6?: number[];
}

/**
 * Parses dotted-quad IPv4 strictly (no leading zeros, each octet 0-255) into an
 * unsigned 32-bit number, or -1. A hand loop: this runs on every route.
 */
export function ipv4ToNumber(s: string): number {
  const length = s.length;
  if (length < 7 || length > 15) return -1;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits === 1 && octet === 0) return -1; // leading zero
      octet = octet * 10 + (c - 48);
      if (octet > 255 || ++digits > 3) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}

/**
 * The eight 16-bit groups of an address that `isIPv6` accepted (`::` expanded,
 * a trailing dotted quad as two groups), or undefined when its dotted quad is
 * not strict (leading zeros). A hand loop: this runs on every IPv6 route.
 */
function ipv6Groups(s: string): number[] | undefined {
  const groups = [0, 0, 0, 0, 0, 0, 0, 0];
  const length = s.length;
  let n = 0;
  let gap = -1;
  let i = 0;
  if (s.charCodeAt(0) === 58 && s.charCodeAt(1) === 58) {
    gap = 0;
    i = 2;
  }
  while (i < length) {
    let j = i;
    let value = 0;
    for (; j < length; j++) {
      const c = s.charCodeAt(j) | 0x20; // lower-cases A-F, keeps digits
      if (c >= 48 && c <= 57) value = value * 16 + (c - 48);
      else if (c >= 97 && c <= 102) value = value * 16 + (c - 87);
      else break;
    }
    if (j < length && s.charCodeAt(j) === 46) {
      const v4 = ipv4ToNumber(s.slice(i));
      if (v4 < 0) return undefined;
      groups[n++] = Math.floor(v4 / 65536);
      groups[n++] = v4 % 65536;
      break;
    }
    groups[n++] = value;
    if (j >= length) break;
    if (s.charCodeAt(j + 1) === 58) {
      gap = n;
      i = j + 2;
    } else {
      i = j + 1;
    }
  }
  if (gap >= 0 && n < 8) {
    const moved = n - gap;
    for (let k = 0; k < moved; k++) groups[7 - k] = groups[n - 1 - k]!;
    for (let k = gap; k < 8 - moved; k++) groups[k] = 0;
  }
  return groups;
}

function invalid(input: unknown, why: string): MeridianError {
  const shown = typeof input === 'string' ? JSON.stringify(input.length > 60 ? `${input.slice(0, 57)}...` : input) : String(input);
  return new MeridianError('INVALID_ARGUMENT', `Invalid client IP ${shown}: ${why}`, { details: { field: 'ip' } });
}

/**
 * Validates a client IP. Refuses empty strings, zone ids (`fe80::1%eth0`), CIDRs
 * and anything that is not an IP, with INVALID_ARGUMENT naming the problem.
 * IPv4-mapped IPv6 (`::ffff:0:0/96`, however spelled: `::ffff:1.2.3.4`,
 * `0:0:0:0:0:ffff:102:304`, `0::ffff:1.2.3.4`): the parsed groups are checked,
 * not the text, and it becomes plain IPv4.
 */
export function parseIp(input: unknown): ParsedIp {
  if (typeof input !== 'string') throw invalid(input, 'must be a string');
  const v4 = ipv4ToNumber(input);
  if (v4 >= 0) return { address: input, version: 4, v4 };
  if (isIPv4(input)) throw invalid(input, 'octets with leading zeros are ambiguous (octal?)');
  if (input.length === 0) throw invalid(input, 'empty');
  if (input.includes('%')) throw invalid(input, 'zone ids are not client addresses');
  if (input.includes('/')) throw invalid(input, 'a CIDR range is not a client address');
  if (input.trim() !== input) throw invalid(input, 'surrounding whitespace');
  if (!isIPv6(input)) throw invalid(input, 'not an IPv4 or IPv6 address');
  const groups = ipv6Groups(input);
  if (!groups) throw invalid(input, 'octets with leading zeros are ambiguous (octal?)');
  // IPv4-mapped (::ffff:0:0/96) in any spelling: ::ffff:1.2.3.4, 0:0:0:0:0:ffff:102:304, 0::FFFF:1.2.3.4 ...
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
    const hi = groups[6]!;
    const lo = groups[7]!;
    return { address: `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`, version: 4, v4: hi * 65536 + lo };
  }
  // Not re-spelled (RFC 5952) on purpose: maxmind reads any spelling, and this runs on every route, cache hits too.
  return { address: input.toLowerCase(), version: 6, v6: groups };
}
